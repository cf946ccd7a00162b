import { randomUUID } from 'node:crypto';
import type { FastifySchemaCompiler } from 'fastify';
import { z } from 'zod';
import { BridgeError } from '../../contract/errors.js';
import type { Principal } from '../../contract/principal.js';
import type { RouteDef } from '../../contract/route.js';
import { ROUTE_LIST } from '../../contract/routes/index.js';
import {
  MAX_SOCKET_REQUESTS_IN_FLIGHT,
  SOCKET_ROUTES,
  socketCancelFrameSchema,
  socketRequestFrameSchema,
} from '../../contract/ws-requests.js';
import { toBridgeError } from '../errors.js';
import type { HttpDeps } from '../http-deps.js';
import { checkHost } from '../security/host.js';
import { checkOrigin } from '../security/origin.js';
import { serializerCompiler, validatorCompiler } from '../zod-compilers.js';

const DEFAULT_REPLY_TIMEOUT_MS = 30_000;

/**
 * Every request frame is read with this: compiled (`z.compile`) at the first frame, not at the
 * start; same verdicts and errors as the schema's own parse.
 */
let requestFrame: ReturnType<typeof z.compile<typeof socketRequestFrameSchema>> | undefined;
/**
 * Abort keys of socket requests: one random prefix per process and a counter, unique as a random
 * id per request would be (also on a bus shared with other processes), without drawing one.
 */
const ABORT_KEY_PREFIX = `socket-${randomUUID()}-`;
let abortKeys = 0;

/** What the socket's upgrade carried: each request frame is authorised again from it. */
export interface UpgradeCredentials {
  rawHeaders: readonly string[];
  sessionToken: string | null;
  uiToken: string | null;
  /** The upgrade's TCP socket: the verifier reuses the hash of the token it last carried. */
  connection: object;
}

interface CompiledRoute {
  route: RouteDef;
  subject: string;
  status: number;
  /** The HTTP route's body validator and reply serializer, the very same compilers. */
  validateBody: ReturnType<FastifySchemaCompiler<z.ZodType>> | null;
  serializeReply: (data: unknown) => string;
}

const compiled = new WeakMap<HttpDeps, Map<string, CompiledRoute>>();

function compiledRoute(deps: HttpDeps, id: string): CompiledRoute | undefined {
  let routes = compiled.get(deps);
  if (!routes) compiled.set(deps, (routes = new Map()));
  let entry = routes.get(id);
  if (entry) return entry;
  const route = SOCKET_ROUTES.get(id);
  if (!route) return undefined;
  const status = route.successStatus ?? 200;
  const body = route.body ? z.preprocess((value) => value ?? undefined, route.body) : null;
  entry = {
    route,
    subject: deps.subjects.rpc(route.id),
    status,
    validateBody: body ? validatorCompiler({ schema: body, method: route.method, url: route.path, httpPart: 'body' }) : null,
    serializeReply: serializerCompiler({ schema: route.reply, method: route.method, url: route.path, httpStatus: String(status) }),
  };
  routes.set(id, entry);
  return entry;
}

/**
 * The `request` and `cancel` frames of one event socket. Each request is authorised again as an
 * HTTP request would be at that moment (Host, Origin against the current policy, the session
 * token: a revoked or expired session is refused on its very next frame), its body validated by
 * the HTTP route's own compiled schema, dispatched on the route's bus subject with the socket's
 * principal and its reply checked by the route's reply schema. Nothing here knows what a route
 * does. Replies are handed to `send` as finished JSON text.
 */
export class SocketRequests {
  readonly #deps: HttpDeps;
  readonly #principal: Principal;
  readonly #credentials: UpgradeCredentials;
  readonly #send: (text: string) => void;
  /** Request id → the abort key of its work (null when its route does not abort). */
  readonly #inFlight = new Map<string, string | null>();
  #closed = false;

  constructor(deps: HttpDeps, principal: Principal, credentials: UpgradeCredentials, send: (text: string) => void) {
    this.#deps = deps;
    this.#principal = principal;
    this.#credentials = credentials;
    this.#send = send;
  }

  /** Whether a parsed client message is one of this layer's frames. */
  static handles(message: unknown): boolean {
    const type = (message as { type?: unknown } | null)?.type;
    return type === 'request' || type === 'cancel';
  }

  /** Answers one parsed frame; never throws (every failure is a reply frame). */
  handle(message: unknown): void {
    if ((message as { type?: unknown }).type === 'cancel') return this.#cancel(message);
    const frame = (requestFrame ??= z.compile(socketRequestFrameSchema)).safeParse(message);
    if (!frame.success) {
      const id = (message as { id?: unknown }).id;
      // An id that is readable is echoed, so the client can fail the right call.
      const echoed = typeof id === 'string' && id.length > 0 && id.length <= 128 && !this.#inFlight.has(id) ? id : null;
      return this.refuse(echoed, new BridgeError('invalid_request', `Invalid request frame: ${z.prettifyError(frame.error)}`));
    }
    const { id, route: routeId, body } = frame.data;
    if (this.#inFlight.has(id)) {
      // Answered with id null: a reply with this id belongs to the request already running.
      return this.refuse(null, new BridgeError('conflict', `Request id ${JSON.stringify(id)} is already in flight on this socket.`, { details: { id } }));
    }
    if (this.#inFlight.size >= MAX_SOCKET_REQUESTS_IN_FLIGHT) {
      return this.refuse(id, new BridgeError('rate_limited', `At most ${MAX_SOCKET_REQUESTS_IN_FLIGHT} requests may be in flight on one socket.`, { details: { retryAfterMs: 0 } }));
    }
    const entry = compiledRoute(this.#deps, routeId);
    if (!entry) return this.refuse(id, unknownRoute(routeId));
    const abortKey = entry.route.abortOnClose ? ABORT_KEY_PREFIX + ++abortKeys : null;
    this.#inFlight.set(id, abortKey);
    void this.#run(id, entry, body, abortKey);
  }

  /** The socket closed: work of `abortOnClose` routes still running is abandoned. */
  close(): void {
    this.#closed = true;
    for (const abortKey of this.#inFlight.values()) if (abortKey) this.#deps.bus.publish(this.#deps.subjects.rpcAbort, { abortKey });
    this.#inFlight.clear();
  }

  /** An error reply frame. */
  refuse(id: string | null, error: BridgeError): void {
    if (this.#closed) return;
    this.#send(JSON.stringify({ type: 'reply', id, status: error.status, body: error.toBody() }));
  }

  async #run(id: string, entry: CompiledRoute, rawBody: unknown, abortKey: string | null): Promise<void> {
    try {
      this.#authorise(entry.route);
      let body: unknown = undefined;
      if (entry.validateBody) {
        const result = entry.validateBody(rawBody) as { value?: unknown; error?: Error | Array<{ instancePath?: string; message?: string }> };
        if (result.error) throw invalidBody(result.error);
        body = result.value;
      } else if (rawBody !== undefined) {
        throw new BridgeError('invalid_request', 'Invalid body: this route takes no body.', { details: { in: 'body', issues: [] } });
      }
      const timeoutMs = entry.route.replyTimeoutMs ? entry.route.replyTimeoutMs({ query: {}, body }) : DEFAULT_REPLY_TIMEOUT_MS;
      const result = await this.#deps.bus.request(
        entry.subject,
        { principal: this.#principal, params: {}, query: {}, body, ...(abortKey ? { abortKey } : {}) },
        { timeoutMs },
      );
      if (this.#inFlight.get(id) !== abortKey) return;
      let text: string;
      try {
        text = entry.serializeReply(result);
      } catch (error) {
        this.#deps.logger.error({ err: error, route: entry.route.id }, 'socket request reply failed its schema');
        throw new BridgeError('internal', 'The bridge failed to handle this request.', { cause: error });
      }
      this.#inFlight.delete(id);
      if (!this.#closed) this.#send(`{"type":"reply","id":${JSON.stringify(id)},"status":${entry.status},"body":${text}}`);
    } catch (error) {
      if (this.#inFlight.get(id) !== abortKey) return;
      this.#inFlight.delete(id);
      const bridgeError = toBridgeError(error);
      if (bridgeError.code === 'internal') this.#deps.logger.error({ err: error, route: entry.route.id }, 'socket request failed');
      this.refuse(id, bridgeError);
    }
  }

  /**
   * The HTTP guard's checks, now: the Host and Origin the upgrade sent against the current
   * policy, and the tokens it carried against the session service. The principal must still be
   * the socket's: a socket never changes whose it is.
   */
  #authorise(route: RouteDef): void {
    const policy = this.#deps.policy();
    const { rawHeaders, sessionToken, uiToken, connection } = this.#credentials;
    const host = checkHost(rawHeaders, policy.port);
    if (!host.ok) throw new BridgeError(host.status === 400 ? 'invalid_request' : 'forbidden_host', host.reason);
    const origin = checkOrigin(rawHeaders, policy);
    if (!origin.ok) throw new BridgeError('forbidden_origin', origin.reason);
    if (route.auth === 'none') return;
    const principal = this.#deps.verifyPrincipal({ auth: route.auth, origin: origin.origin, sessionToken, uiToken, connection });
    if (!samePrincipal(principal, this.#principal)) throw new BridgeError('unauthorized', 'The socket\'s credentials no longer name its principal; reconnect.', { details: { reason: 'invalid' } });
  }

  #cancel(message: unknown): void {
    const frame = socketCancelFrameSchema.safeParse(message);
    if (!frame.success) return this.refuse(null, new BridgeError('invalid_request', `Invalid cancel frame: ${z.prettifyError(frame.error)}`));
    // Cancelling a request that already finished (or never was) is not an error: the race is normal.
    if (!this.#inFlight.has(frame.data.id)) return;
    const abortKey = this.#inFlight.get(frame.data.id);
    if (abortKey) this.#deps.bus.publish(this.#deps.subjects.rpcAbort, { abortKey });
  }
}

function samePrincipal(a: Principal, b: Principal): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'session' && b.kind === 'session') return a.sessionId === b.sessionId && a.origin === b.origin;
  return true;
}

function unknownRoute(routeId: string): BridgeError {
  // A contract route that exists but is HTTP only is named as such, so the client knows to use HTTP.
  const isContractRoute = ROUTE_LIST.some((route) => route.id === routeId);
  const allowed = [...SOCKET_ROUTES.keys()].join(', ');
  return isContractRoute
    ? new BridgeError('forbidden', `Route ${JSON.stringify(routeId)} cannot be called on the socket; use HTTP. Socket routes: ${allowed}.`, { details: { route: routeId, socketRoutes: [...SOCKET_ROUTES.keys()] } })
    : new BridgeError('not_found', `No socket route ${JSON.stringify(routeId.slice(0, 128))}. Socket routes: ${allowed}.`, { details: { socketRoutes: [...SOCKET_ROUTES.keys()] } });
}

/** The HTTP route's validation error, as fastify words it for a body (`toBridgeError`'s shape). */
function invalidBody(error: Error | Array<{ instancePath?: string; message?: string }>): BridgeError {
  const issues = Array.isArray(error) ? error : ((error as { validation?: Array<{ instancePath?: string; message?: string }> }).validation ?? []);
  const message = issues.length > 0 ? issues.map((issue) => `body${issue.instancePath ?? ''} ${issue.message ?? ''}`).join(', ') : (error as Error).message;
  return new BridgeError('invalid_request', `Invalid body: ${message}`, {
    details: { in: 'body', issues: issues.map((issue) => ({ path: issue.instancePath ?? '', message: issue.message ?? '' })) },
  });
}
