import { PROTOCOL_VERSION } from '../contract/constants.js';
import type { RouteDef } from '../contract/route.js';
import { ROUTES } from '../contract/routes/index.js';
import { BridgeClientError, isTransient } from './errors.js';
import type { CallOptions, Credentials } from './http.js';
import type { RouteReplyOf } from './route-types.js';

/** The session the client holds: its token goes in every authenticated request. */
export type SessionInfo = RouteReplyOf<'sessionHandshake'>;

export type SendRoute = (route: RouteDef, options: CallOptions, credentials: Credentials) => Promise<unknown>;

export interface SessionKeeperOptions {
  send: SendRoute;
  clientName: string | undefined;
  autoRefresh: boolean;
  now?: () => number;
}

/** Retry delay of a background refresh that could not reach the bridge. */
const REFRESH_RETRY_MS = 5_000;
/** Refresh this long before expiry at most; short sessions refresh at 80% of their life. */
const REFRESH_LEAD_MAX_MS = 60_000;

/** `setTimeout` that never keeps a Node process alive (no-op in browsers). */
export function unrefTimer(timer: ReturnType<typeof setTimeout>): ReturnType<typeof setTimeout> {
  if (typeof timer === 'object' && timer !== null && 'unref' in timer && typeof timer.unref === 'function') timer.unref();
  return timer;
}

export const closedError = () => new BridgeClientError('unavailable', 'The client is closed.', { details: { reason: 'client_closed' } });

/**
 * Holds the session: handshake (one at a time, however many callers ask), refresh before expiry,
 * and a fresh handshake when the bridge no longer knows the token (expired, or bridge restarted).
 */
export class SessionKeeper {
  #current: SessionInfo | null = null;
  #handshaking: Promise<SessionInfo> | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  readonly #options: SessionKeeperOptions;
  readonly #now: () => number;

  constructor(options: SessionKeeperOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  get current(): SessionInfo | null {
    return this.#current;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Creates a session; concurrent calls share one handshake. */
  handshake(): Promise<SessionInfo> {
    if (this.#closed) return Promise.reject(closedError());
    this.#handshaking ??= this.#doHandshake().finally(() => {
      this.#handshaking = null;
    });
    return this.#handshaking;
  }

  /** Extends the current session; rejects with the bridge's error (e.g. `unauthorized`) as is. */
  async refresh(): Promise<SessionInfo> {
    if (this.#closed) throw closedError();
    const session = this.#current;
    if (!session) throw new BridgeClientError('unauthorized', 'No session to refresh; call handshake() first.', { details: { reason: 'missing' } });
    const reply = (await this.#options.send(ROUTES.sessionRefresh, { body: { sessionToken: session.sessionToken } }, this.#noCredentials())) as SessionInfo;
    if (this.#closed) throw closedError();
    // A handshake may have replaced the session meanwhile; the newer one wins.
    if (this.#current?.sessionToken === session.sessionToken) this.#adopt(reply);
    return reply;
  }

  /**
   * Called when the bridge refused `token` with 401. Hands-shake again if that token is still the
   * current one (another caller may already have); false when there is no session to renew.
   */
  async renew(token: string): Promise<boolean> {
    if (this.#closed || !this.#current) return false;
    if (this.#current.sessionToken !== token) return true;
    await this.handshake();
    return true;
  }

  /** Forgets the session and stops refreshing; the bridge lets it expire on its own. */
  close(): void {
    this.#closed = true;
    this.#current = null;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #doHandshake(): Promise<SessionInfo> {
    const body = { protocolVersion: PROTOCOL_VERSION, ...(this.#options.clientName ? { clientName: this.#options.clientName } : {}) };
    const reply = (await this.#options.send(ROUTES.sessionHandshake, { body }, this.#noCredentials())) as SessionInfo;
    if (this.#closed) throw closedError();
    this.#adopt(reply);
    return reply;
  }

  #noCredentials(): Credentials {
    return { sessionToken: null, uiToken: null };
  }

  #adopt(session: SessionInfo): void {
    this.#current = session;
    if (!this.#options.autoRefresh) return;
    const remaining = Date.parse(session.expiresAt) - this.#now();
    const lead = Math.min(REFRESH_LEAD_MAX_MS, remaining / 5);
    this.#schedule(Math.max(0, remaining - lead));
  }

  #schedule(delayMs: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = unrefTimer(setTimeout(() => void this.#backgroundRefresh(), delayMs));
  }

  async #backgroundRefresh(): Promise<void> {
    this.#timer = undefined;
    try {
      await this.refresh();
    } catch (error) {
      if (this.#closed) return;
      if (error instanceof BridgeClientError && error.code === 'unauthorized') {
        // Expired meanwhile (the machine slept) or the bridge restarted: start a new session.
        await this.handshake().catch(() => this.#schedule(REFRESH_RETRY_MS));
      } else if (isTransient(error)) {
        this.#schedule(REFRESH_RETRY_MS);
      }
    }
  }
}
