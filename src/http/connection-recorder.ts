import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ConnectionRecord } from '../services/connection-log.js';
import type { HttpDeps } from './http-deps.js';

/**
 * Records one connection-log entry per handshake, authenticated web-app request, socket
 * upgrade and failure. Paths lose their query string, so tokens never reach the log.
 */
export function registerConnectionRecorder(app: FastifyInstance, deps: HttpDeps): void {
  // A callback hook (no promise per request). The record goes straight into the connection
  // log's ring, field by field: no record object, ISO string or bus message per request (issue 15).
  app.addHook('onResponse', (request, reply, done) => {
    const kind = recordKind(request, reply.statusCode);
    if (!kind) return done();
    const query = request.url.indexOf('?');
    const path = query === -1 ? request.url : request.url.slice(0, query);
    const principal = request.principal;
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
      Math.round(reply.elapsedTime * 100) / 100,
    );
    if (reply.statusCode >= 400) {
      deps.logger.info({ method: request.method, path, status: reply.statusCode, code: request.errorCode }, 'request refused');
    }
    done();
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
