import type { Principal } from '../../contract/principal.js';
import { requestOriginOf } from '../../storage/runs-repository.js';

/** Most requestIds remembered; past it the oldest are forgotten first (a session can send many). */
const MAX_REMEMBERED = 10_000;

interface Remembered<T> {
  installId: string;
  at: number;
  /** The install as last seen, so a repeat finds it after its actor ended. */
  last: T | null;
}

/**
 * The installs started by a `requestId`, per origin, for the retention window: the same
 * `requestId` from the same origin finds the first install and starts nothing new. Kept in memory:
 * install jobs live in this process only (their step runs are stored as runs).
 */
export class InstallRequests<T> {
  readonly #byKey = new Map<string, Remembered<T>>();
  readonly #retentionMs: () => number;
  readonly #now: () => number;

  constructor(retentionMs: () => number, now: () => number) {
    this.#retentionMs = retentionMs;
    this.#now = now;
  }

  remember(principal: Principal, requestId: string, installId: string): void {
    this.#forgetExpired();
    this.#byKey.set(keyOf(principal, requestId), { installId, at: this.#now(), last: null });
    for (const key of this.#byKey.keys()) {
      if (this.#byKey.size <= MAX_REMEMBERED) break;
      this.#byKey.delete(key);
    }
  }

  /** Records the install's latest state, for repeats after its actor is gone. */
  update(installId: string, last: T): void {
    for (const entry of this.#byKey.values()) if (entry.installId === installId) entry.last = last;
  }

  find(principal: Principal, requestId: string): Remembered<T> | undefined {
    this.#forgetExpired();
    return this.#byKey.get(keyOf(principal, requestId));
  }

  #forgetExpired(): void {
    const oldest = this.#now() - this.#retentionMs();
    for (const [key, entry] of this.#byKey) if (entry.at < oldest) this.#byKey.delete(key);
  }
}

function keyOf(principal: Principal, requestId: string): string {
  return `${requestOriginOf(principal)}\u0000${requestId}`;
}
