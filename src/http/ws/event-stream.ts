import type {} from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { subjectMatches } from '../../bus/subject-match.js';
import { TOKEN_HEADER, UI_TOKEN_HEADER, WS_CLOSE_BRIDGE_STOPPING, WS_CLOSE_SESSION_EXPIRED, WS_CLOSE_SLOW_CONSUMER } from '../../contract/constants.js';
import { BridgeError } from '../../contract/errors.js';
import { audienceAllows } from '../../contract/event-audience.js';
import type { ControlFrame, EventEnvelope } from '../../contract/events.js';
import type { Principal } from '../../contract/principal.js';
import type { ReplayReply } from '../../services/events/event-log.js';
import { sendError } from '../errors.js';
import { headerOrQuery } from '../security/guard.js';
import type { HttpDeps } from '../http-deps.js';
import { answerClientMessage, readClientMessage, unreadableMessageResult } from './client-messages.js';
import { SocketRequests, type UpgradeCredentials } from './socket-requests.js';
import { upgradeRequired } from './upgrade-required.js';
import { FramePump } from './frame-pump.js';

export const eventStreamQuery = z.strictObject({
  sessionToken: z.string().optional(),
  uiToken: z.string().optional(),
  since: z.coerce.number().int().min(0).optional().describe('Replay every event after this seq, then go live.'),
  types: z
    .string()
    .max(2000)
    .optional()
    .describe('Comma-separated event types; `*` matches one dotted token, `>` the rest (system.command.*).'),
  outputFrames: z
    .enum(['json', 'binary'])
    .optional()
    .describe('`binary`: command output chunks come as binary frames (src/contract/output-frame.ts) instead of JSON; other events stay JSON.'),
  events: z
    .enum(['all', 'none'])
    .optional()
    .describe('`none`: no events and no replay, only `ready` and the replies to request frames (the typed client\'s call socket).'),
});

/**
 * `GET /ws/v1/events`: numbered contract events, replayed from `since` and then live with no gap
 * and no duplicate. Each socket has a bounded queue; a consumer that falls behind is closed with
 * 4008 and resumes with `since`, and never slows the bridge or other sockets.
 */
export async function eventStreamRoute(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  app.route({
    method: 'GET',
    url: '/ws/v1/events',
    config: { auth: 'session_or_ui' },
    preValidation: async (request, reply) => {
      const parsed = eventStreamQuery.safeParse(request.query);
      if (!parsed.success) return sendError(reply, new BridgeError('invalid_request', `Invalid query: ${z.prettifyError(parsed.error)}`));
    },
    wsHandler: (socket, request) => {
      const query = eventStreamQuery.parse(request.query);
      // `events=none`: an empty pattern list matches no event.
      const patterns = query.events === 'none' ? [] : query.types ? query.types.split(',').map((t) => t.trim()).filter(Boolean) : null;
      const principal = request.principal;
      deps.bus.publish(deps.subjects.internal('connections.record'), {
        at: new Date().toISOString(),
        kind: 'ws_upgrade',
        method: 'GET',
        path: '/ws/v1/events',
        status: 101,
        origin: request.checkedOrigin,
        sessionId: principal.kind === 'session' ? principal.sessionId : null,
        errorCode: null,
        malformed: false,
        hint: null,
        durationMs: null,
      });
      streamEvents(socket, deps, {
        since: query.since,
        patterns,
        sessionId: principal.kind === 'session' ? principal.sessionId : null,
        queueLimit: deps.policy().wsQueueLimit,
        principal,
        binaryOutput: query.outputFrames === 'binary',
        replay: query.events !== 'none',
        credentials: {
          rawHeaders: request.raw.rawHeaders,
          sessionToken: headerOrQuery(request, TOKEN_HEADER, 'sessionToken'),
          uiToken: headerOrQuery(request, UI_TOKEN_HEADER, 'uiToken'),
          connection: request.raw.socket,
        },
      });
    },
    handler: upgradeRequired,
  });
}

interface StreamOptions {
  since: number | undefined;
  patterns: string[] | null;
  sessionId: string | null;
  queueLimit: number;
  /** Who the socket belongs to: client messages act with it. */
  principal: Principal;
  binaryOutput: boolean;
  /** False for a call socket (`events=none`): nothing to replay. */
  replay: boolean;
  /** What the upgrade carried, to authorise each request frame again. */
  credentials: UpgradeCredentials;
}

function streamEvents(socket: WebSocket, deps: HttpDeps, options: StreamOptions): void {
  const { bus, subjects } = deps;
  let lastSent = options.since ?? 0;
  let replaying = true;
  const heldDuringReplay: EventEnvelope[] = [];
  let closed = false;

  const close = (code: number, reason: string) => {
    if (closed) return;
    closed = true;
    live.unsubscribe();
    requests.close();
    pump.stop();
    socket.close(code, reason);
  };
  const pump = new FramePump(socket, {
    liveLimit: options.queueLimit,
    startSeq: 0,
    binaryOutput: options.binaryOutput,
    onOverflow: () => close(WS_CLOSE_SLOW_CONSUMER, `slow consumer: reconnect with since=${pump.lastHandedSeq}`),
  });

  // Request frames call the socket routes (MCP calls, resource reads) without an HTTP request
  // each; every answer is a frame queued like events.
  const requests = new SocketRequests(deps, options.principal, options.credentials, (text) => pump.liveText(text));

  const wanted = (type: string) => !options.patterns || options.patterns.some((p) => p === type || subjectMatches(p, type));

  const deliver = (envelope: EventEnvelope, fromReplay: boolean) => {
    // Replay and live overlap while the replay is fetched: `lastSent` drops the duplicates.
    if (envelope.seq <= lastSent) return;
    // Origins are isolated: another origin's runs, prompts, rules and jobs never reach this socket.
    if (wanted(envelope.type) && audienceAllows(envelope.audience, options.principal)) {
      if (fromReplay) pump.backlog(envelope);
      else pump.live(envelope);
    }
    if (closed) return;
    lastSent = envelope.seq;
    if (envelope.type === 'session.expired' && options.sessionId && (envelope.data as { sessionId: string }).sessionId === options.sessionId) {
      close(WS_CLOSE_SESSION_EXPIRED, 'session expired');
    } else if (envelope.type === 'bridge.stopping') {
      close(WS_CLOSE_BRIDGE_STOPPING, 'bridge stopping');
    }
  };

  // Subscribe before asking for the replay, so nothing published in between is lost.
  const live = bus.subscribe(subjects.allSequenced, (message) => {
    const envelope = message.data as EventEnvelope;
    if (replaying) heldDuringReplay.push(envelope);
    else deliver(envelope, false);
  });
  socket.on('close', () => {
    closed = true;
    live.unsubscribe();
    requests.close();
    pump.stop();
  });
  // Prompts can be answered here too: a page whose HTTP connections are all held by waiting
  // executes still reaches the bridge. Each answer gets a result frame, queued like events.
  socket.on('message', (raw) => {
    const message = readClientMessage(raw);
    // Unreadable: an event socket (the web app's) answers as it always did, a call socket
    // (`events=none`, which has no replay) with a `reply` frame, what its client reads.
    if (!message.ok) return options.replay ? pump.live(unreadableMessageResult(message.error)) : requests.refuse(null, message.error);
    if (SocketRequests.handles(message.value)) return requests.handle(message.value);
    void answerClientMessage(message, options.principal, deps).then((frame) => {
      if (!closed) pump.live(frame);
    });
  });

  const replayAndGoLive = async () => {
    const replaySubject = subjects.internal('events.replay');
    let replay = await bus.request<ReplayReply>(replaySubject, { since: options.replay ? (options.since ?? Number.MAX_SAFE_INTEGER) : Number.MAX_SAFE_INTEGER });
    let replayed = 0;
    if (options.since === undefined || !options.replay) {
      lastSent = replay.lastSeq;
      pump.startAt(lastSent);
    } else {
      // A `since` beyond this bridge's last event comes from before a restart (seq starts anew).
      const restarted = options.since > replay.lastSeq;
      if (restarted || options.since < replay.oldest - 1) {
        pump.backlog({
          type: 'replay_gap',
          requestedSince: options.since,
          oldestAvailable: replay.oldest,
          message: restarted
            ? `This bridge restarted (its last event is ${replay.lastSeq}); what came after ${options.since} before the restart is gone. Resync with the REST routes.`
            : `Events ${options.since + 1}–${replay.oldest - 1} are no longer buffered; resync with the REST routes.`,
        } satisfies ControlFrame);
      }
      if (restarted) {
        // Everything this bridge holds is new to the client.
        lastSent = 0;
        replay = await bus.request<ReplayReply>(replaySubject, { since: 0 });
      }
      pump.startAt(lastSent);
      for (const envelope of replay.events) {
        deliver(envelope, true);
        replayed++;
      }
    }
    replaying = false;
    pump.backlog({ type: 'ready', lastSeq: Math.max(lastSent, replay.lastSeq), replayed } satisfies ControlFrame);
    // Held events are older than anything live to come, so they keep their place in the backlog.
    for (const envelope of heldDuringReplay.splice(0)) deliver(envelope, true);
  };
  replayAndGoLive().catch(() => close(1011, 'event log unavailable'));
}
