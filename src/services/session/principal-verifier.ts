import { BridgeError } from '../../contract/errors.js';
import type { Principal } from '../../contract/principal.js';
import type { RouteAuth } from '../../contract/route.js';

/** What the HTTP guard asks before dispatching an authenticated request. */
export interface VerifyRequest {
  auth: RouteAuth;
  origin: string | null;
  sessionToken: string | null;
  uiToken: string | null;
  /** The connection the request came on (its socket), if any: its last token's hash is reused. */
  connection?: object;
}

/** Maps the tokens a request carries to its principal, or throws the BridgeError saying why not. */
export type VerifyPrincipal = (request: VerifyRequest) => Principal;

/**
 * The in-process seam between the guard and the session service. The guard calls `verify` on
 * every authenticated request: a synchronous call, where a bus request would cost an envelope,
 * a timeout timer and a few microtasks per request (issue 15). The trust boundary is the same as
 * before: the principal is derived here from the tokens the guard read, and no message on the
 * bus can ask for one, since the seam is not a subject. The HTTP app is built before the
 * session service starts, so the session service plugs its verifier in when it starts.
 */
export interface PrincipalVerifierSeam {
  readonly verify: VerifyPrincipal;
  /** Called by the session service when it starts (its verifier) and stops (null). */
  provide(verifier: VerifyPrincipal | null): void;
}

export function createPrincipalVerifierSeam(): PrincipalVerifierSeam {
  let current: VerifyPrincipal | null = null;
  return {
    verify(request) {
      if (!current) throw new BridgeError('unavailable', 'The bridge is starting or stopping; sessions cannot be verified yet.');
      return current(request);
    },
    provide(verifier) {
      current = verifier;
    },
  };
}
