import type {} from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import type { Subscription } from '../../bus/bus.js';
import { WS_CLOSE_BRIDGE_STOPPING, WS_CLOSE_SLOW_CONSUMER } from '../../contract/constants.js';
import { BridgeError } from '../../contract/errors.js';
import { ROUTES } from '../../contract/routes/index.js';
import type { RouteReply } from '../../contract/route.js';
import type { ActorTransition } from '../../runtime/actor-runtime.js';
import { sendError } from '../errors.js';
import type { HttpDeps } from '../http-deps.js';
import { upgradeRequired } from './upgrade-required.js';

const list = (value: string | undefined) => (value ? value.split(',').map((part) => part.trim()).filter(Boolean) : null);

export const inspectorStreamQuery = z.strictObject({
  uiToken: z.string().optional(),
  kinds: z.string().max(2000).optional().describe('Comma-separated machine kinds (`session,commandRun`); all when omitted.'),
  actor: z.string().max(2000).optional().describe('Comma-separated actor ids; all when omitted.'),
  desktop: z.enum(['1']).optional().describe('Set by the desktop shell: the socket then carries only requests to show its window.'),
});

/** Frames of the inspector socket. */
export type InspectorFrame =
  | { type: 'snapshot'; actors: RouteReply<typeof ROUTES.uiActors>['actors'] }
  | { type: 'transition'; transition: ActorTransition }
  | { type: 'desktop'; action: 'show'; page: string };

/**
 * `GET /ws/v1/ui/inspector` (local UI only): a snapshot of every live actor, then each actor
 * transition as the runtime publishes it, filtered by kind or actor id. The desktop window opens
 * one more with `desktop=1`, which carries only `show` requests: it serves `ui.desktop.show` on the
 * bus, so `osloop://focus` can bring the window forward (no window connected: nobody answers).
 */
export async function inspectorStreamRoute(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  app.route({
    method: 'GET',
    url: '/ws/v1/ui/inspector',
    config: { auth: 'ui' },
    preValidation: async (request, reply) => {
      const parsed = inspectorStreamQuery.safeParse(request.query);
      if (!parsed.success) return sendError(reply, new BridgeError('invalid_request', `Invalid query: ${z.prettifyError(parsed.error)}`));
    },
    wsHandler: (socket, request) => {
      const query = inspectorStreamQuery.parse(request.query);
      if (query.desktop === '1') return serveDesktop(socket, deps);
      streamTransitions(socket, deps, { kinds: list(query.kinds), actors: list(query.actor) });
    },
    handler: upgradeRequired,
  });
}

/** The desktop window's socket: `show` requests only, one window answering each (queue group). */
function serveDesktop(socket: WebSocket, deps: HttpDeps): void {
  const { bus, subjects } = deps;
  const subscriptions = [
    bus.serve(
      subjects.internal('ui.desktop.show'),
      (data) => {
        const frame: InspectorFrame = { type: 'desktop', action: 'show', page: String((data as { page?: unknown }).page ?? 'status') };
        socket.send(JSON.stringify(frame));
        return { shown: true };
      },
      { queue: 'desktop' },
    ),
    bus.subscribe(subjects.event('bridge.stopping'), () => socket.close(WS_CLOSE_BRIDGE_STOPPING, 'bridge stopping')),
  ];
  socket.on('close', () => {
    for (const subscription of subscriptions) subscription.unsubscribe();
  });
}

function streamTransitions(socket: WebSocket, deps: HttpDeps, options: { kinds: string[] | null; actors: string[] | null }): void {
  const { bus, subjects } = deps;
  const queueLimit = deps.policy().wsQueueLimit;
  let pending = 0;
  let closed = false;
  let snapshotSent = false;
  const held: ActorTransition[] = [];
  const subscriptions: Subscription[] = [];

  const wanted = (kind: string, actorId: string) =>
    (!options.kinds || options.kinds.includes(kind)) && (!options.actors || options.actors.includes(actorId));

  const close = (code: number, reason: string) => {
    if (closed) return;
    closed = true;
    for (const subscription of subscriptions) subscription.unsubscribe();
    socket.close(code, reason);
  };

  const send = (frame: InspectorFrame) => {
    if (closed) return;
    if (pending >= queueLimit) return close(WS_CLOSE_SLOW_CONSUMER, 'slow consumer: reconnect for a fresh snapshot');
    pending++;
    socket.send(JSON.stringify(frame), () => {
      pending--;
    });
  };

  // Subscribe before asking for the snapshot, so no transition falls between the two.
  subscriptions.push(
    bus.subscribe(subjects.allActors, (message) => {
      const transition = message.data as ActorTransition;
      if (!wanted(transition.kind, transition.actorId)) return;
      if (snapshotSent) send({ type: 'transition', transition });
      else held.push(transition);
    }),
    bus.subscribe(subjects.event('bridge.stopping'), () => close(WS_CLOSE_BRIDGE_STOPPING, 'bridge stopping')),
  );
  socket.on('close', () => {
    closed = true;
    for (const subscription of subscriptions) subscription.unsubscribe();
  });
  socket.on('message', () => {
    // One-way stream: client messages are ignored.
  });

  bus
    .request<RouteReply<typeof ROUTES.uiActors>>(subjects.rpc(ROUTES.uiActors.id), { principal: { kind: 'ui' }, params: {}, query: {}, body: undefined })
    .then((reply) => {
      send({ type: 'snapshot', actors: reply.actors.filter((actor) => wanted(actor.kind, actor.actorId)) });
      snapshotSent = true;
      for (const transition of held.splice(0)) send({ type: 'transition', transition });
    })
    .catch(() => close(1011, 'actor list unavailable'));
}
