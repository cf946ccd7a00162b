import { BridgeError } from '../../../contract/errors.js';

/** The user, or the authorization server, refused consent (`error` on the redirect). */
export class ConsentRefusedError extends Error {
  override readonly name = 'ConsentRefusedError';
}

interface Waiter {
  resolve(code: string): void;
  reject(error: Error): void;
}

/** Longest `error_description` quoted back: it comes from a third party. */
const MAX_DESCRIPTION_CHARS = 200;

/**
 * Consents in progress, one per server at most. The SDK builds the authorization URL with a
 * state from `newState`; the redirect to the bridge's callback is accepted only with the state
 * of a consent someone is waiting for, once. Nothing here opens a browser.
 */
export class ConsentBroker {
  readonly #stateOwner = new Map<string, string>();
  readonly #stateOf = new Map<string, string>();
  readonly #urls = new Map<string, URL>();
  readonly #waiters = new Map<string, Waiter>();

  /** Remembers `state` as the one valid state of `serverId`, replacing an older one. */
  expect(serverId: string, state: string): void {
    const previous = this.#stateOf.get(serverId);
    if (previous) this.#stateOwner.delete(previous);
    this.#stateOf.set(serverId, state);
    this.#stateOwner.set(state, serverId);
  }

  /** The SDK sent the user to this URL (it carries the state given to `expect`). */
  setAuthorizationUrl(serverId: string, url: URL): void {
    this.#urls.set(serverId, url);
  }

  authorizationUrl(serverId: string): URL | null {
    return this.#urls.get(serverId) ?? null;
  }

  /** Resolves with the code the redirect brings; rejects on refusal or when `signal` aborts. */
  waitForCode(serverId: string, signal: AbortSignal): Promise<string> {
    this.#waiters.get(serverId)?.reject(new Error('A newer consent replaced this one.'));
    return new Promise<string>((resolve, reject) => {
      const done = () => {
        signal.removeEventListener('abort', onAbort);
        if (this.#waiters.get(serverId) === waiter) this.#waiters.delete(serverId);
      };
      const waiter: Waiter = {
        resolve: (code) => {
          done();
          resolve(code);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      };
      const onAbort = () => waiter.reject(signal.reason instanceof Error ? signal.reason : new Error('The consent was abandoned.'));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiters.set(serverId, waiter);
    });
  }

  /** The redirect reached the callback: hands its code (or refusal) to the waiting consent. */
  complete(query: { state: string; code?: string | undefined; error?: string | undefined; error_description?: string | undefined }): { serverId: string; authorized: boolean; message: string } {
    const serverId = this.#stateOwner.get(query.state);
    const waiter = serverId === undefined ? undefined : this.#waiters.get(serverId);
    if (serverId === undefined || !waiter) {
      throw new BridgeError('invalid_request', 'This authorization redirect matches no consent the bridge is waiting for (unknown, used or replaced state).', {
        details: { reason: 'unknown_state' },
      });
    }
    this.#forget(serverId);
    if (query.error !== undefined || query.code === undefined) {
      const reason = query.error ?? 'no code';
      const description = query.error_description ? `: ${query.error_description.slice(0, MAX_DESCRIPTION_CHARS)}` : '';
      waiter.reject(new ConsentRefusedError(`The authorization server refused consent (${reason}${description}).`));
      return { serverId, authorized: false, message: 'Consent was refused; the MCP server stays unauthorized.' };
    }
    waiter.resolve(query.code);
    return { serverId, authorized: true, message: 'The MCP server is authorized; you can close this page.' };
  }

  /** Drops everything of a server (removed, or its consent ended). */
  #forget(serverId: string): void {
    const state = this.#stateOf.get(serverId);
    if (state) this.#stateOwner.delete(state);
    this.#stateOf.delete(serverId);
    this.#urls.delete(serverId);
  }

  forget(serverId: string): void {
    this.#forget(serverId);
    this.#waiters.get(serverId)?.reject(new Error('The MCP server was removed.'));
  }
}
