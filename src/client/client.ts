import { DEFAULT_PORT, PROTOCOL_VERSION } from '../contract/constants.js';
import type { RouteDef } from '../contract/route.js';
import { ROUTES } from '../contract/routes/index.js';
import { BridgeClientError, ProtocolMismatchError } from './errors.js';
import { EventStream, type BridgeEventStream, type EventStreamOptions } from './event-stream.js';
import { sendRoute, type CallOptions, type Credentials, type HttpContext } from './http.js';
import type { BridgeApi, RouteReplyOf, SessionRouteName } from './route-types.js';
import { SessionKeeper, closedError, type SessionInfo } from './session.js';
import { platformSocketFactory, type SocketFactory } from './socket.js';
import { SocketCalls } from './socket-calls.js';
import { fetchRequester, isNode, undiciRequester } from './requester.js';

export interface BridgeClientOptions {
  /** Where the bridge listens. Default `http://127.0.0.1:47832`. */
  baseUrl?: string;
  /**
   * The web app's origin, sent as `Origin` on requests and the socket upgrade. Needed on Node;
   * browsers send their page's origin and ignore this.
   */
  origin?: string;
  /** The local UI's credential: UI-only routes, and the others when there is no session. */
  uiToken?: string;
  /** Shown to the user in the bridge's connection log. */
  clientName?: string;
  /**
   * Sends the HTTP requests. Default: in browsers the global `fetch`; on Node an undici `Pool` of
   * kept-alive connections to `baseUrl` (a fifth of `fetch`'s CPU per request).
   */
  fetch?: typeof fetch;
  /** Refresh the session before it expires, and hand-shake again when it is lost. Default true. */
  autoRefresh?: boolean;
  /**
   * Send MCP tool calls and resource reads as `request` frames on a socket kept open for them,
   * instead of one HTTP request each: same replies and errors, a fraction of the cost per call
   * (docs/contract.md, "Calling routes on the socket"). Default false.
   */
  callsOverSocket?: boolean;
}

export type HealthInfo = RouteReplyOf<'health'>;

/** What the web app holds to talk to its local bridge. */
export interface BridgeClient {
  readonly baseUrl: string;
  /** The current session, or null before `handshake()` and after `close()`. */
  readonly session: SessionInfo | null;
  /** Checks a bridge answers at `baseUrl` and speaks this client's protocol version. */
  discover(options?: { signal?: AbortSignal }): Promise<HealthInfo>;
  /** Creates a session (needs an allowed origin) and keeps it refreshed while `autoRefresh`. */
  handshake(): Promise<SessionInfo>;
  /** Extends the session now; the bridge's refusal is thrown as is. */
  refresh(): Promise<SessionInfo>;
  /**
   * One typed method per contract route, e.g. `api.bridgeInfo()`,
   * `api.systemCommandsRunsGet({ params: { runId } })`. A call refused with 401 while the client
   * holds a session hands-shake again once and is retried (the bridge refuses before acting).
   */
  readonly api: BridgeApi;
  /**
   * Contract events, from `since` (or from now), as an async iterable that reconnects with backoff
   * and resumes where it stopped: no gap, no duplicate. It re-hand-shakes when the session is
   * lost. When the bridge no longer buffers the events it needs, it throws `ReplayGapError`
   * after the events that came before the gap. Ends when `signal` aborts, on `break`, or on
   * `close()`. Connects at once, so events are collected even before iteration starts.
   */
  events(options?: EventStreamOptions): BridgeEventStream;
  /** Stops refreshing, forgets the session and ends every event stream. */
  close(): void;
}

/** Internal knobs the tests use to drive the client without real sockets or waits. */
export interface BridgeClientInternals {
  connect?: SocketFactory;
  backoff?: { initialMs: number; maxMs: number };
  highWaterMark?: number;
}

const SESSION_ROUTES: ReadonlySet<string> = new Set<SessionRouteName>(['sessionHandshake', 'sessionRefresh']);

/** Creates a client for the bridge at `options.baseUrl`; nothing is sent until a method is called. */
export function createBridgeClient(options: BridgeClientOptions = {}): BridgeClient {
  return buildBridgeClient(options, {});
}

/** `createBridgeClient` with its seams exposed, for tests; not part of the public entry point. */
export function buildBridgeClient(options: BridgeClientOptions, internals: BridgeClientInternals): BridgeClient {
  const baseUrl = (options.baseUrl ?? `http://127.0.0.1:${DEFAULT_PORT}`).replace(/\/+$/, '');
  if (!/^https?:\/\//.test(baseUrl)) throw new TypeError(`createBridgeClient: "baseUrl" must be an http(s) URL; received ${JSON.stringify(options.baseUrl)}.`);
  const uiToken = options.uiToken ?? null;
  const http: HttpContext = {
    baseUrl,
    origin: options.origin,
    request: options.fetch ? fetchRequester(options.fetch) : isNode() ? undiciRequester(baseUrl) : fetchRequester(globalThis.fetch.bind(globalThis)),
  };
  const send = (route: RouteDef, call: CallOptions, credentials: Credentials) => sendRoute(http, route, call, credentials);
  const keeper = new SessionKeeper({ send, clientName: options.clientName, autoRefresh: options.autoRefresh ?? true });
  const streams = new Set<EventStream>();
  let connect = internals.connect;

  const credentials = (): Credentials => ({ sessionToken: keeper.current?.sessionToken ?? null, uiToken });

  /** The session token a request to `route` carries, if any (a UI token takes precedence). */
  const sessionTokenFor = (route: RouteDef, sent: Credentials): string | null => {
    if (route.auth === 'session') return sent.sessionToken;
    if (route.auth === 'session_or_ui' && !sent.uiToken) return sent.sessionToken;
    return null;
  };

  const socketCalls = options.callsOverSocket
    ? new SocketCalls({
        connect: (url, handlers) => (connect ??= platformSocketFactory(options.origin))(url, handlers),
        url: (sent) => socketUrl(sent, [['events', 'none']]),
      })
    : undefined;
  /** One attempt of a call: on the call socket when it carries the route, over HTTP otherwise. */
  const attempt = (route: RouteDef, callOptions: CallOptions, sent: Credentials): Promise<unknown> =>
    socketCalls && SocketCalls.carries(route, callOptions)
      ? socketCalls.call(route, callOptions, sent, () => send(route, callOptions, sent))
      : send(route, callOptions, sent);

  const call = async (route: RouteDef, callOptions: CallOptions = {}): Promise<unknown> => {
    const sent = credentials();
    try {
      return await attempt(route, callOptions, sent);
    } catch (error) {
      const token = sessionTokenFor(route, sent);
      if (!(error instanceof BridgeClientError) || error.code !== 'unauthorized' || !token || !(options.autoRefresh ?? true)) throw error;
      const renewed = await keeper.renew(token).catch(() => false);
      if (!renewed) throw error;
      return attempt(route, callOptions, credentials());
    }
  };

  const api = Object.fromEntries(
    Object.entries(ROUTES)
      .filter(([name]) => !SESSION_ROUTES.has(name))
      .map(([name, route]) => [name, (callOptions?: CallOptions) => call(route, callOptions)]),
  ) as unknown as BridgeApi;

  /** The event socket's URL with `sent`'s tokens (an upgrade can carry them only in the query). */
  const socketUrl = (sent: Credentials, parameters: Array<[string, string]>): string => {
    const search = new URLSearchParams();
    if (sent.sessionToken) search.set('sessionToken', sent.sessionToken);
    if (sent.uiToken) search.set('uiToken', sent.uiToken);
    for (const [name, value] of parameters) search.set(name, value);
    const query = search.toString();
    return `${baseUrl.replace(/^http/, 'ws')}/ws/v1/events${query ? `?${query}` : ''}`;
  };

  const eventsUrl = (since: number | undefined, types: readonly string[] | undefined, outputFrames: 'binary' | 'json') => {
    const current = credentials();
    const parameters: Array<[string, string]> = [];
    if (since !== undefined) parameters.push(['since', String(since)]);
    if (types && types.length > 0) parameters.push(['types', types.join(',')]);
    if (outputFrames === 'binary') parameters.push(['outputFrames', 'binary']);
    return {
      url: socketUrl(current, parameters),
      sessionToken: current.uiToken ? null : current.sessionToken,
    };
  };

  return {
    baseUrl,
    get session() {
      return keeper.current;
    },

    async discover(discoverOptions = {}) {
      let reply: unknown;
      try {
        reply = await send(ROUTES.health, discoverOptions, credentials());
      } catch (error) {
        // Something that is not a bridge answered 200 with a non-JSON body.
        if (error instanceof BridgeClientError && error.code === 'internal' && error.status !== null && error.status < 300) {
          throw new ProtocolMismatchError(PROTOCOL_VERSION, undefined, error.status);
        }
        throw error;
      }
      const received = (reply as { protocolVersion?: unknown } | undefined)?.protocolVersion;
      if (received !== PROTOCOL_VERSION) throw new ProtocolMismatchError(PROTOCOL_VERSION, received, 200);
      return reply as HealthInfo;
    },

    handshake: () => keeper.handshake(),
    refresh: () => keeper.refresh(),
    api,

    events(streamOptions = {}) {
      if (keeper.closed) throw closedError();
      const types = streamOptions.types;
      let finished = false;
      let stream: EventStream | undefined = undefined;
      stream = new EventStream(
        {
          connect: (url, handlers) => (connect ??= platformSocketFactory(options.origin))(url, handlers),
          url: (since) => eventsUrl(since, types, streamOptions.outputFrames ?? 'binary'),
          reauthenticate: async (refusedToken) => (refusedToken && (options.autoRefresh ?? true) ? keeper.renew(refusedToken) : false),
          probe: async () => {
            await call(ROUTES.bridgeInfo);
          },
          ...(internals.backoff ? { backoff: internals.backoff } : {}),
          ...(internals.highWaterMark ? { highWaterMark: internals.highWaterMark } : {}),
          onFinish: () => {
            finished = true;
            if (stream) streams.delete(stream);
          },
        },
        streamOptions,
      );
      // A stream can end in its constructor (an aborted signal), before `stream` is assigned.
      if (!finished) streams.add(stream);
      return stream;
    },

    close() {
      keeper.close();
      socketCalls?.close();
      for (const stream of [...streams]) stream.close();
      streams.clear();
    },
  };
}
