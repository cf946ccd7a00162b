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
  app.addHook('onSend', (request, reply, payload, done) => {
    const kind = recordKind(request, reply.statusCode);
    if (!kind) return done(null, payload);
    const query = request.url.indexOf('?');
    const path = query === -1 ? request.url : request.url.slice(0, query);
    const principal = request.principal;
    const receivedAt = request.receivedAt;
    deps.connections.add(
      Date.now(),
      kind,
      request.method,
      path,
      reply.statusCode,
      request.checkedOrigin ?? null,
      principal?.kind === 'session' ? principal.sessionId : null,
      request.errorCode,
      request.malformedHint,
      receivedAt === null ? null : Math.round((performance.now() - receivedAt) * 100) / 100,
    );
    if (reply.statusCode >= 400) {
      deps.logger.info({ method: request.method, path, status: reply.statusCode, code: request.errorCode }, 'request refused');
    }
    done(null, payload);
  });
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
