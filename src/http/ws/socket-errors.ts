import type { Duplex } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { BridgeError } from '../../contract/errors.js';

/**
 * Errors on an open socket. A peer that breaks the protocol (a frame over `maxPayload`, text that
 * is not UTF-8, a bad opcode: `ws` codes `WS_ERR_*`, already answered with 1009/1007/1002) or
 * drops the connection is the client's doing, not the bridge's: logged at debug, not as errors.
 */
export function onSocketError(error: Error & { code?: string }, socket: WebSocket, request: FastifyRequest): void {
  if (error.code?.startsWith('WS_ERR_')) {
    // `ws` has already sent the close frame with its code and ends the socket itself (after the
    // peer's reply or its close timeout); terminating here could drop that frame (a bare 1006).
    request.log.debug({ code: error.code, message: error.message }, 'websocket closed on a client protocol error');
    return;
  }
  const clientFault = error.code === 'ECONNRESET' || error.code === 'EPIPE';
  if (clientFault) request.log.debug({ code: error.code, message: error.message }, 'websocket closed on a client error');
  else request.log.error({ err: error }, 'websocket failed');
  socket.terminate();
}

/**
 * A handshake `ws` refuses (an Upgrade header that is not `websocket`, a missing or malformed
 * Sec-WebSocket-Key, an unknown version, unparsable protocols or extensions) gets the structured
 * 400 too; without this listener `ws` answers in plain text.
 */
export function answerHandshakeError(error: Error, socket: Duplex): void {
  const body = JSON.stringify(new BridgeError('invalid_request', `WebSocket handshake refused: ${error.message}.`).toBody());
  const version = /Version/.test(error.message) ? 'Sec-WebSocket-Version: 13, 8\r\n' : '';
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${version}\r\n${body}`);
}
