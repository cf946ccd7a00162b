import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ConnectionRecord } from '../services/connection-log.js';
import type { HttpDeps } from './http-deps.js';

/**
 * Records one connection-log entry per handshake, authenticated web-app request, socket
 * upgrade and failure. Paths lose their query string, so tokens never reach the log.
 */
export function registerConnectionRecorder(app: FastifyInstance, deps: HttpDeps): void {
  // Taken when the reply is sent (`onSend`, which every reply fastify sends passes: routes, the
  // guard's refusals, errors, 404s), not in `onResponse`: any `onResponse` hook makes fastify set
  // up response listeners on every request (issue 15). A callback hook (no promise per request);
  // the record goes straight into the connection log's ring, field by field: no record object,
  // ISO string or bus message per request. The duration runs from the guard's clock to the reply.
  // What Node's parser refuses never reaches fastify: `answerClientError` records it.
  app.addHook('onSend', (request, reply, payload, done) => {
    recordReply(deps, request, reply.statusCode);
    done(null, payload);
  });
}

/**
 * Writes the record of a request answered with `status`. Also called by fastify's
 * `frameworkErrors` handler (a path it cannot decode runs no hook at all), where the guard never
 * saw the request: no origin, session or duration.
 */
export function recordReply(deps: HttpDeps, request: FastifyRequest, status: number): void {
  const kind = recordKind(request, status);
  if (!kind) return;
  const query = request.url.indexOf('?');
  const path = query === -1 ? request.url : request.url.slice(0, query);
  const principal = request.principal;
  // A request of `frameworkErrors` is fastify's undecorated one: its fields are undefined, not null.
  const receivedAt = request.receivedAt ?? null;
  deps.connections.add(
    Date.now(),
    kind,
    request.method,
    path,
    status,
    request.checkedOrigin ?? null,
    principal?.kind === 'session' ? principal.sessionId : null,
    request.errorCode ?? null,
    request.malformedHint ?? null,
    receivedAt === null ? null : Math.round((performance.now() - receivedAt) * 100) / 100,
  );
  if (status >= 400) {
    deps.logger.info({ method: request.method, path, status, code: request.errorCode }, 'request refused');
  }
}

/**
 * The record of a request Node's HTTP parser refused (no fastify request exists): its method and
 * path as far as the request line could be read, else empty.
 */
export function recordUnparsable(deps: HttpDeps, requestLine: string, errorCode: string): void {
  const match = /^([A-Z]{1,20}) ([^\s?]{1,2048})/.exec(requestLine);
  const [method, path] = match ? [match[1]!, match[2]!] : ['', ''];
  deps.connections.add(Date.now(), 'failure', method, path, 400, null, null, errorCode, null, null);
  deps.logger.info({ method, path, status: 400, code: errorCode }, 'request refused');
}

function recordKind(request: FastifyRequest, status: number): ConnectionRecord['kind'] | null {
  if (status >= 400) return 'failure';
  if (request.headers.upgrade) return 'ws_upgrade';
  // Read by the guard (fastify builds routeOptions afresh at each read); a request the guard
  // refused before reading it is a failure, answered above.
  const url = request.routeUrl ?? request.routeOptions.url;
  if (url === '/api/v1/session/handshake') return 'handshake';
  if (url === '/api/v1/session/refresh') return 'refresh';
  if (request.principal?.kind === 'session') return 'route';
  return null;
}
