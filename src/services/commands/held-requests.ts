import type { Principal } from '../../contract/principal.js';

/**
 * Counts the executes each session holds open until the user decides. A browser opens about six
 * HTTP/1.1 connections per origin: held requests past a few would starve the request that
 * answers them, so past the cap an execute answers at once, as with `Prefer: respond-async`.
 */
export class HeldRequests {
  readonly #cap: () => number;
  readonly #held = new Map<string, number>();

  constructor(cap: () => number) {
    this.#cap = cap;
  }

  /** Takes one of the caller's held places; false when it already holds its cap. */
  tryHold(principal: Principal): { held: boolean; release: () => void } {
    const key = holderKey(principal);
    const count = this.#held.get(key) ?? 0;
    if (count >= this.#cap()) return { held: false, release: () => {} };
    this.#held.set(key, count + 1);
    let released = false;
    return {
      held: true,
      release: () => {
        if (released) return;
        released = true;
        const left = (this.#held.get(key) ?? 1) - 1;
        if (left > 0) this.#held.set(key, left);
        else this.#held.delete(key);
      },
    };
  }
}

function holderKey(principal: Principal): string {
  switch (principal.kind) {
    case 'session':
      return `session:${principal.sessionId}`;
    case 'fleet':
      return `fleet:${principal.orchestrator}`;
    case 'anonymous':
      return `anonymous:${principal.origin ?? ''}`;
    case 'ui':
      return 'ui';
  }
}

const perBridge = new WeakMap<object, HeldRequests>();

/**
 * The one counter of a bridge (keyed by its config store): executes and installs hold requests
 * of the same browser, so they share one cap.
 */
export function heldRequestsOf(config: { readonly current: { readonly maxHeldRequestsPerSession: number } }): HeldRequests {
  let held = perBridge.get(config);
  if (!held) {
    held = new HeldRequests(() => config.current.maxHeldRequestsPerSession);
    perBridge.set(config, held);
  }
  return held;
}
