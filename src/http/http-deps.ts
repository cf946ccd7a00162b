import type { Logger } from 'pino';
import type { Bus } from '../bus/bus.js';
import type { Subjects } from '../bus/subjects.js';
import type { ConnectionRing } from '../services/connection-log.js';
import type { VerifyPrincipal } from '../services/session/principal-verifier.js';
import type { OriginPolicy } from './security/origin.js';

/** All the HTTP layer is given: the bus to dispatch on and the policy to validate with. */
export interface HttpDeps {
  bus: Bus;
  subjects: Subjects;
  logger: Logger;
  /** Maps a request's tokens to its principal: a direct call into the session service. */
  verifyPrincipal: VerifyPrincipal;
  /** The connection log's ring: each request's record is written into it directly, not published. */
  connections: Pick<ConnectionRing, 'add'>;
  /** Read on every request, so a settings change applies without a restart. */
  policy: () => OriginPolicy & {
    bodyLimitBytes: number;
    handshakeRateLimit: { max: number; windowMs: number };
    wsQueueLimit: number;
  };
  /** Static files of the local UI (`ui/resources`), served at `/ui/`. */
  uiRoot?: string;
}
