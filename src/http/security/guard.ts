import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { TOKEN_HEADER, UI_TOKEN_HEADER } from '../../contract/constants.js';
import { BridgeError } from '../../contract/errors.js';
import type { Principal } from '../../contract/principal.js';
import type { RouteAuth } from '../../contract/route.js';
import type { HttpDeps } from '../http-deps.js';
import { sendError, toBridgeError } from '../errors.js';
import { checkHost } from './host.js';
import { checkOrigin, type OriginPolicy } from './origin.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling, set by the guard before any body is parsed. */
    principal: Principal;
    /** The request's `Origin`, once checked. */
    checkedOrigin: string | null;
    /** The error code replied, for the connection log. */
    errorCode: string | null;
    malformedHint: string | null;
    /** The matched route's path pattern (undefined when none matched), read once by the guard. */
    routeUrl: string | undefined;
    /** `performance.now()` when the guard first saw the request (null if it never did): the connection log's duration. */
    receivedAt: number | null;
  }
  interface FastifyContextConfig {
    /** Who may call the route; routes without it are public (health, UI assets). */
    auth?: RouteAuth;
  }
}

const CORS_METHODS = 'GET, POST, PATCH, DELETE';
const CORS_HEADERS = `content-type, ${TOKEN_HEADER}, ${UI_TOKEN_HEADER}`;
const BODY_METHODS = new Set(['POST', 'PATCH', 'DELETE', 'PUT']);

/**
 * The checks every request passes, in this order and before its body is read:
 * Host → Origin → CORS preflight → content type → token. Loopback binding comes first, in `listen`.
 */
export const securityGuard = fp(
  async (app: FastifyInstance, deps: HttpDeps) => {
    app.decorateRequest('principal', null as never);
    app.decorateRequest('checkedOrigin', null);
    app.decorateRequest('errorCode', null);
    app.decorateRequest('malformedHint', null);
    app.decorateRequest('routeUrl', undefined);
    app.decorateRequest('receivedAt', null);

    // A callback hook, not an async one: every request passes here, and an async hook costs a
    // promise and its microtasks each time (docs/performance.md). Refusing means replying
    // without calling `done`.
    app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      // Read here rather than in a hook of the recorder's own: one hook less on every request.
      request.receivedAt = performance.now();
      const policy = deps.policy();
      const raw = request.raw.rawHeaders;

      const host = checkHost(raw, policy.port);
      if (!host.ok) {
        sendError(reply, new BridgeError(host.status === 400 ? 'invalid_request' : 'forbidden_host', host.reason));
        return;
      }

      const origin = checkOrigin(raw, policy);
      if (!origin.ok) {
        sendError(reply, new BridgeError('forbidden_origin', origin.reason));
        return;
      }
      request.checkedOrigin = origin.origin;
      if (origin.origin) {
        reply.header('access-control-allow-origin', origin.origin);
        reply.header('vary', 'Origin');
      }

      if (request.method === 'OPTIONS') {
        answerPreflight(request, reply, origin.origin, policy);
        return;
      }

      // Node keeps the first Content-Type and joins repeated custom headers with ", ": refuse
      // the ambiguity rather than let two readers of one request see different things.
      const repeated = repeatedHeader(raw);
      if (repeated) {
        sendError(reply, new BridgeError('invalid_request', `duplicated ${repeated} header`, { details: { header: repeated } }));
        return;
      }

      if (BODY_METHODS.has(request.method) && !acceptableBodyType(request)) {
        // A CSRF-style "simple" request (text/plain, form) is refused before it can do anything.
        sendError(reply, new BridgeError('unsupported_media_type', `${request.method} requests with a body must send Content-Type: application/json.`));
        return;
      }

      // fastify builds a fresh routeOptions object at each read: read once, keep what is needed.
      const route = request.routeOptions;
      request.routeUrl = route.url;
      const auth = route.config?.auth;
      if (!auth) {
        request.principal = { kind: 'anonymous', origin: origin.origin };
        done();
        return;
      }
      let principal: Principal;
      try {
        // Synchronous and in-process: the principal comes from the tokens read here, never from a message.
        principal = deps.verifyPrincipal({
          auth,
          origin: origin.origin,
          sessionToken: headerOrQuery(request, TOKEN_HEADER, 'sessionToken'),
          uiToken: headerOrQuery(request, UI_TOKEN_HEADER, 'uiToken'),
          connection: request.raw.socket,
        });
      } catch (error) {
        sendError(reply, toBridgeError(error));
        return;
      }
      request.principal = principal;
      done();
    });
  },
  { name: 'osloop-security-guard' },
);

function answerPreflight(request: FastifyRequest, reply: FastifyReply, origin: string | null, _policy: OriginPolicy) {
  if (!origin) {
    // Not a CORS preflight from an allowed page: no CORS headers at all.
    return sendError(reply, new BridgeError('forbidden_origin', 'Preflight without an allowed Origin.'));
  }
  reply.header('access-control-allow-methods', CORS_METHODS);
  reply.header('access-control-allow-headers', CORS_HEADERS);
  reply.header('access-control-max-age', '600');
  reply.header('vary', 'Origin, Access-Control-Request-Headers, Access-Control-Request-Private-Network');
  if (request.headers['access-control-request-private-network'] === 'true') {
    reply.header('access-control-allow-private-network', 'true');
  }
  return reply.code(204).send();
}

/** Headers that must appear at most once (Host and Origin are counted by their own checks). */
const SINGLE_HEADERS = new Set(['content-type', TOKEN_HEADER.toLowerCase(), UI_TOKEN_HEADER.toLowerCase()]);
/** Their lengths: a header of another length is skipped without lower-casing it (every request pays this loop). */
const SINGLE_HEADER_LENGTHS = new Set([...SINGLE_HEADERS].map((name) => name.length));

function repeatedHeader(rawHeaders: readonly string[]): string | null {
  let seen: string[] | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const raw = rawHeaders[i]!;
    if (!SINGLE_HEADER_LENGTHS.has(raw.length)) continue;
    const name = raw.toLowerCase();
    if (!SINGLE_HEADERS.has(name)) continue;
    if (seen?.includes(name)) return name;
    (seen ??= []).push(name);
  }
  return null;
}

/**
 * A body must be JSON. A request with no body needs no Content-Type: `fetch()` sends none for a
 * bodyless DELETE or POST (a revoke, a terminate), and the token header it must carry already
 * forces a CORS preflight, which is what the Content-Type check guards against. Any Content-Type
 * other than JSON is refused, even on an empty body: a form or text/plain post never gets through.
 */
function acceptableBodyType(request: FastifyRequest): boolean {
  const contentType = request.headers['content-type'];
  if (contentType !== undefined) return isJson(contentType);
  return isBodyless(request);
}

/** No body will follow the headers: no chunked transfer and no (or a zero) Content-Length. */
function isBodyless(request: FastifyRequest): boolean {
  if (request.headers['transfer-encoding'] !== undefined) return false;
  const length = request.headers['content-length'];
  return length === undefined || length.trim() === '0';
}

function isJson(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  return mediaType === 'application/json';
}

/** Tokens come in headers; WebSocket upgrades can only carry them in the query string. */
export function headerOrQuery(request: FastifyRequest, header: string, query: string): string | null {
  const fromHeader = request.headers[header];
  if (typeof fromHeader === 'string' && fromHeader !== '') return fromHeader;
  if (request.headers.upgrade) {
    const value = (request.query as Record<string, unknown> | undefined)?.[query];
    if (typeof value === 'string' && value !== '') return value;
  }
  return null;
}
