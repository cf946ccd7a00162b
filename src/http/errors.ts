import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BusNoResponders, BusTimeout } from '../bus/errors.js';
import { BridgeError, ERROR_CODES, type ErrorCode } from '../contract/errors.js';
import { ROUTE_LIST } from '../contract/routes/index.js';
import { canonicalHint } from './security/malformed-path.js';

/** Sends the structured error body; the one way an error leaves the bridge. */
export function sendError(reply: FastifyReply, error: BridgeError): FastifyReply {
  reply.request.errorCode = error.code;
  return reply.code(error.status).type('application/json').send(error.toBody());
}

/** Maps whatever was thrown to a `BridgeError`: a client's mistake is never a 500. */
export function toBridgeError(error: unknown): BridgeError {
  if (error instanceof BridgeError) return error;
  if (error instanceof BusNoResponders) return new BridgeError('unsupported', 'This route is not implemented by this bridge yet.', { details: { reason: 'not_implemented' } });
  if (error instanceof BusTimeout) return new BridgeError('unavailable', 'The bridge did not answer in time; try again.');
  const e = error as FastifyError & { validation?: Array<{ message?: string; instancePath?: string; params?: unknown }>; validationContext?: string };
  if (e?.validation) {
    const where = e.validationContext ?? 'request';
    return new BridgeError('invalid_request', `Invalid ${where}: ${e.message}`, {
      details: { in: where, issues: e.validation.map((v) => ({ path: v.instancePath ?? '', message: v.message ?? '' })) },
    });
  }
  switch (e?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new BridgeError('payload_too_large', 'The request body is larger than the configured limit.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new BridgeError('unsupported_media_type', 'Send bodies as application/json.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new BridgeError('invalid_request', e.message);
  }
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const code: ErrorCode = e.statusCode === 429 ? 'rate_limited' : e.statusCode === 413 ? 'payload_too_large' : e.statusCode === 415 ? 'unsupported_media_type' : 'invalid_request';
    return new BridgeError(code, e.message || 'Bad request');
  }
  return new BridgeError('internal', 'The bridge failed to handle this request.', { cause: error });
}

/**
 * Answers what Node's HTTP parser refused (a bad request line, a header with a NUL, headers over
 * the size limit) with the structured body too; fastify's default writes its own error format.
 * `refused` is told the request line as far as the parser had it (for the connection log).
 */
export function answerClientError(error: Error & { code?: string; rawPacket?: unknown }, socket: Duplex, refused?: (requestLine: string) => void): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const reason = error.code === 'HPE_HEADER_OVERFLOW' ? 'The request line or headers are too large.' : 'The request is not valid HTTP/1.1.';
    const body = JSON.stringify(new BridgeError('invalid_request', reason, { details: { parser: error.code ?? 'unknown' } }).toBody());
    socket.write(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    // A client that closed its side mid-request is not a request refused: what it sent, if it
    // got past the headers, is recorded by the request's own path.
    if (error.code !== 'HPE_INVALID_EOF_STATE') {
      refused?.(Buffer.isBuffer(error.rawPacket) ? error.rawPacket.toString('latin1', 0, 2_100).split('\r\n', 1)[0]! : '');
    }
  }
  socket.destroy(error);
}

const routePatterns = ROUTE_LIST.map((route) => ({
  method: route.method,
  regex: new RegExp(`^${route.path.replace(/:[A-Za-z]+/g, '[^/]+')}$`),
}));

/** Registers the error and not-found handlers: structured bodies, malformed-path hints, 405s. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const bridgeError = toBridgeError(error);
    if (bridgeError.code === 'internal') request.log.error({ err: error }, 'request failed');
    return sendError(reply, bridgeError);
  });

  app.setNotFoundHandler((request: FastifyRequest, reply) => {
    const path = request.url.split('?')[0]!;
    const hint = canonicalHint(path);
    if (hint && routePatterns.some((r) => r.regex.test(hint))) {
      request.malformedHint = hint;
      return sendError(reply, new BridgeError('malformed_path', `Malformed path; did you mean ${hint}?`, { details: { hint } }));
    }
    const methods = routePatterns.filter((r) => r.regex.test(path)).map((r) => r.method);
    if (methods.length > 0) {
      reply.header('allow', methods.join(', '));
      return sendError(reply, new BridgeError('method_not_allowed', `${request.method} is not allowed here; use ${methods.join(' or ')}.`));
    }
    return sendError(reply, new BridgeError('not_found', `No route ${request.method} ${path}.`));
  });
}

export const isErrorCode = (value: string): value is ErrorCode => value in ERROR_CODES;
