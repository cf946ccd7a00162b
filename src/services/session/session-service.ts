import { timingSafeEqual } from 'node:crypto';
import { PROTOCOL_VERSION } from '../../contract/constants.js';
import { BridgeError } from '../../contract/errors.js';
import { ROUTES } from '../../contract/routes/index.js';
import type { SessionContext } from '../../../machines/session.machine.js';
import { isoAt } from '../../runtime/clock.js';
import { serveRoute } from '../serve-route.js';
import type { RunningService, ServiceContext } from '../service-context.js';
import type { PrincipalVerifierSeam, VerifyPrincipal } from './principal-verifier.js';
import { createConnectionTokenHasher } from './connection-token-hash.js';
import { hashToken, newId, newToken } from './token.js';

/** Remembered token hashes, so an expired token is told apart from a wrong one. */
const MAX_REMEMBERED = 50_000;

/**
 * Sessions: handshake spawns a session actor, refresh re-arms its timer, verification maps a
 * token to its live actor. The index holds token hashes only.
 */
export function startSessionService(ctx: ServiceContext, options: { uiToken: string; verifier: PrincipalVerifierSeam }): RunningService {
  const { bus, subjects, runtime, clock, config } = ctx;
  const sessionByTokenHash = new Map<string, string>();
  const hashOnConnection = createConnectionTokenHasher();
  const uiToken = Buffer.from(options.uiToken);

  const liveSession = (sessionId: string): SessionContext | undefined =>
    runtime.child(sessionId)?.getSnapshot().context as SessionContext | undefined;

  const remember = (tokenHash: string, sessionId: string) => {
    if (sessionByTokenHash.size >= MAX_REMEMBERED) {
      const oldest = sessionByTokenHash.keys().next().value;
      if (oldest !== undefined) sessionByTokenHash.delete(oldest);
    }
    sessionByTokenHash.set(tokenHash, sessionId);
  };

  /** Resolves a token to its live session, or says precisely why not. */
  const resolveToken = (token: string | null, origin: string | null, connection?: object): { sessionId: string; context: SessionContext } => {
    if (!token) throw new BridgeError('unauthorized', 'A session token is required (X-OSLOOP-BRIDGE-TOKEN).', { details: { reason: 'missing' } });
    const sessionId = sessionByTokenHash.get(hashOnConnection(token, connection));
    if (!sessionId) throw new BridgeError('unauthorized', 'The session token is not valid.', { details: { reason: 'invalid' } });
    const context = liveSession(sessionId);
    if (!context) throw new BridgeError('unauthorized', 'The session has expired; hand-shake again.', { details: { reason: 'expired' } });
    if (context.origin !== origin) {
      throw new BridgeError('forbidden_origin', 'This token belongs to another origin.', { details: { reason: 'token_origin_mismatch' } });
    }
    return { sessionId, context };
  };

  const isUi = (token: string | null) => {
    if (!token) return false;
    const given = Buffer.from(token);
    return given.length === uiToken.length && timingSafeEqual(given, uiToken);
  };

  // Called by the guard directly (see principal-verifier.ts), never over the bus.
  const verify: VerifyPrincipal = (request) => {
    if (request.auth === 'none') return { kind: 'anonymous', origin: request.origin };
    if ((request.auth === 'ui' || request.auth === 'session_or_ui') && isUi(request.uiToken)) return { kind: 'ui' };
    if (request.auth === 'ui') {
      if (request.sessionToken) throw new BridgeError('forbidden', 'This route is for the local UI only; web-app sessions may not use it.');
      throw new BridgeError('unauthorized', 'The local UI token is required (X-OSLOOP-UI-TOKEN).', { details: { reason: request.uiToken ? 'invalid' : 'missing' } });
    }
    const { sessionId } = resolveToken(request.sessionToken, request.origin, request.connection);
    return { kind: 'session', sessionId, origin: request.origin };
  };
  options.verifier.provide(verify);

  const subscriptions = [
    serveRoute(bus, subjects, ROUTES.sessionHandshake, ({ principal, body }) => {
      const origin = principal.kind === 'anonymous' ? principal.origin : null;
      if (!origin) {
        throw new BridgeError('forbidden_origin', 'A handshake must come from a browser page with an allowed Origin.', { details: { reason: 'missing_origin' } });
      }
      const token = newToken();
      const sessionId = newId('ses');
      const ttlMs = config.current.sessionTtlMs;
      const expiresAt = isoAt(clock.now() + ttlMs);
      const tokenHash = hashToken(token);
      runtime.spawn('session', sessionId, {
        sessionId,
        tokenHash,
        origin,
        clientName: body.clientName ?? null,
        ttlMs,
        expiresAt,
      });
      remember(tokenHash, sessionId);
      bus.publish(subjects.event('session.created'), { sessionId, origin, clientName: body.clientName ?? null, expiresAt });
      return { sessionId, sessionToken: token, expiresAt, protocolVersion: PROTOCOL_VERSION } as const;
    }),

    serveRoute(bus, subjects, ROUTES.sessionRefresh, ({ principal, body }) => {
      const origin = principal.kind === 'anonymous' ? principal.origin : null;
      const { sessionId } = resolveToken(body.sessionToken, origin);
      const expiresAt = isoAt(clock.now() + config.current.sessionTtlMs);
      runtime.child(sessionId)?.send({ type: 'session.refresh', expiresAt });
      return { sessionId, sessionToken: body.sessionToken, expiresAt, protocolVersion: PROTOCOL_VERSION } as const;
    }),

    bus.serve(subjects.internal('session.alive'), (data) => Boolean(liveSession(String(data)))),
  ];

  return {
    stop() {
      options.verifier.provide(null);
      for (const subscription of subscriptions) subscription.unsubscribe();
    },
  };
}
