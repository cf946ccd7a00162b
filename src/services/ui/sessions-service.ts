import { BridgeError } from '../../contract/errors.js';
import { ROUTES } from '../../contract/routes/index.js';
import { serveRoute } from '../serve-route.js';
import type { RunningService, ServiceContext } from '../service-context.js';

/**
 * The live web-app sessions, for the settings page, and their revocation. A session is its actor:
 * listing reads the runtime, revoking sends the actor `session.close`, after which its token
 * verifies as expired (the session service only honours live session actors).
 */
export function startSessionsService(ctx: ServiceContext): RunningService {
  const { bus, subjects, runtime } = ctx;

  const sessions = () =>
    runtime
      .list()
      .filter((actor) => actor.kind === 'session' && actor.status === 'active')
      .map(({ context }) => ({
        sessionId: String(context.sessionId),
        origin: typeof context.origin === 'string' ? context.origin : null,
        clientName: typeof context.clientName === 'string' ? context.clientName : null,
        expiresAt: String(context.expiresAt),
      }))
      .sort((a, b) => b.expiresAt.localeCompare(a.expiresAt));

  const subscriptions = [
    serveRoute(bus, subjects, ROUTES.uiSessionsList, () => ({ sessions: sessions() })),
    serveRoute(bus, subjects, ROUTES.uiSessionsRevoke, ({ params }) => {
      const actor = runtime.child(params.sessionId);
      if (!actor || !params.sessionId.startsWith('ses_')) throw new BridgeError('not_found', `No live session ${params.sessionId}.`);
      actor.send({ type: 'session.close' });
      bus.publish(subjects.event('session.expired'), { sessionId: params.sessionId });
      return { sessionId: params.sessionId, revoked: true as const };
    }),
  ];
  return {
    stop() {
      for (const subscription of subscriptions) subscription.unsubscribe();
    },
  };
}
