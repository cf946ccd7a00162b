import { randomBytes } from 'node:crypto';
import { CounterWindow } from './counter-window.js';
import { deriveSessionKeys, isEphemeralPublicKey, newEphemeralKey, type SessionKeys } from './session-crypto.js';

/**
 * The bridge's open fleet sessions, in memory only: a restart forgets them all, and an
 * orchestrator's client opens a new one when told `session_unknown`. A session lives `ttlMs`
 * from its opening; each orchestrator holds at most `maxPerOrchestrator` (opening one more
 * closes its oldest), and unpairing an orchestrator closes all of its sessions.
 */
export interface FleetSession {
  id: string;
  orchestrator: string;
  keys: SessionKeys;
  expiresAt: number;
  counters: CounterWindow;
}

export interface OpenedSession {
  sessionId: string;
  /** The bridge's ephemeral X25519 public key (base64url). */
  key: string;
  ttlMs: number;
}

export type SessionLookup = { ok: true; session: FleetSession } | { ok: false; reason: 'session_unknown' | 'session_expired' };

export const DEFAULT_MAX_SESSIONS_PER_ORCHESTRATOR = 16;

export class SessionTable {
  private readonly sessions = new Map<string, FleetSession>();
  private readonly byOrchestrator = new Map<string, string[]>();
  private readonly now: () => number;
  private readonly maxPerOrchestrator: number;
  private readonly ttlMs: () => number;

  constructor(
    private readonly machineId: string,
    options: { ttlMs: () => number; maxPerOrchestrator?: number; now?: () => number },
  ) {
    this.ttlMs = options.ttlMs;
    this.maxPerOrchestrator = options.maxPerOrchestrator ?? DEFAULT_MAX_SESSIONS_PER_ORCHESTRATOR;
    this.now = options.now ?? Date.now;
  }

  /** Opens a session for a verified, paired orchestrator from its ephemeral key; null for a key that is no X25519 key. */
  open(orchestrator: string, orchestratorKey: unknown): OpenedSession | null {
    if (!isEphemeralPublicKey(orchestratorKey)) return null;
    const sessionId = randomBytes(16).toString('base64url');
    const own = newEphemeralKey();
    const keys = deriveSessionKeys(own.privateKey, orchestratorKey, { sessionId, machine: this.machineId, orchestrator, orchestratorKey, bridgeKey: own.publicKey });
    if (!keys) return null;
    const ttlMs = this.ttlMs();
    const ids = (this.byOrchestrator.get(orchestrator) ?? []).filter((id) => this.isLive(id));
    while (ids.length >= this.maxPerOrchestrator) this.sessions.delete(ids.shift()!);
    ids.push(sessionId);
    this.byOrchestrator.set(orchestrator, ids);
    this.sessions.set(sessionId, { id: sessionId, orchestrator, keys, expiresAt: this.now() + ttlMs, counters: new CounterWindow() });
    return { sessionId, key: own.publicKey, ttlMs };
  }

  find(sessionId: string): SessionLookup {
    const session = this.sessions.get(sessionId);
    if (!session) return { ok: false, reason: 'session_unknown' };
    if (session.expiresAt <= this.now()) {
      this.close(session);
      return { ok: false, reason: 'session_expired' };
    }
    return { ok: true, session };
  }

  /** Closes every session of `orchestrator` (it was unpaired). */
  closeAllOf(orchestrator: string): void {
    for (const id of this.byOrchestrator.get(orchestrator) ?? []) this.sessions.delete(id);
    this.byOrchestrator.delete(orchestrator);
  }

  /** Closes the sessions of every orchestrator `isPaired` no longer accepts. */
  closeUnpaired(isPaired: (orchestrator: string) => boolean): void {
    for (const orchestrator of [...this.byOrchestrator.keys()]) if (!isPaired(orchestrator)) this.closeAllOf(orchestrator);
  }

  get size(): number {
    return this.sessions.size;
  }

  private isLive(id: string): boolean {
    const session = this.sessions.get(id);
    if (session && session.expiresAt > this.now()) return true;
    this.sessions.delete(id);
    return false;
  }

  private close(session: FleetSession): void {
    this.sessions.delete(session.id);
    const ids = this.byOrchestrator.get(session.orchestrator)?.filter((id) => id !== session.id);
    if (ids && ids.length > 0) this.byOrchestrator.set(session.orchestrator, ids);
    else this.byOrchestrator.delete(session.orchestrator);
  }
}
