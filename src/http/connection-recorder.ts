import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ConnectionRecord } from '../services/connection-log.js';
import type { HttpDeps } from './http-deps.js';

/**
 * Publishes one connection-log record per handshake, authenticated web-app request, socket
 * upgrade and failure. Paths lose their query string, so tokens never reach the log.
 */
export function registerConnectionRecorder(app: FastifyInstance, deps: HttpDeps): void {
  const subject = deps.subjects.internal('connections.record');
  // A callback hook (no promise per request); the record goes out on the bus, published not asked.
  app.addHook('onResponse', (request, reply, done) => {
    const kind = recordKind(request, reply.statusCode);
    if (!kind) return done();
    const query = request.url.indexOf('?');
    const path = query === -1 ? request.url : request.url.slice(0, query);
    const record: ConnectionRecord = {
      at: isoNow(),
      kind,
      method: request.method,
      path,
      status: reply.statusCode,
      origin: request.checkedOrigin ?? null,
      sessionId: request.principal?.kind === 'session' ? request.principal.sessionId : null,
      errorCode: request.errorCode,
      malformed: request.malformedHint !== null,
      hint: request.malformedHint,
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
    };
    deps.bus.publish(subject, record);
    if (reply.statusCode >= 400) {
      deps.logger.info({ method: request.method, path, status: reply.statusCode, code: request.errorCode }, 'request refused');
    }
    done();
  });
}

/**
 * The current time as an ISO string, formatted once per millisecond: requests in the same
 * millisecond share one string instead of a Date and a formatting each (issue 15). Exact to the
 * millisecond, as `new Date().toISOString()` is.
 */
let isoMs = Number.NaN;
let iso = '';
function isoNow(): string {
  const now = Date.now();
  if (now !== isoMs) {
    isoMs = now;
    iso = new Date(now).toISOString();
  }
  return iso;
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
