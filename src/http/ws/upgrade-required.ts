import type { FastifyReply, FastifyRequest } from 'fastify';
import { BridgeError } from '../../contract/errors.js';
import { sendError } from '../errors.js';

/**
 * The plain-HTTP answer of a WebSocket route (a GET without `Upgrade: websocket`): a structured
 * 400, where @fastify/websocket's own answer would be an empty 404.
 */
export async function upgradeRequired(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const path = request.url.split('?')[0]!;
  return sendError(reply, new BridgeError('invalid_request', `${path} is a WebSocket endpoint: send an Upgrade: websocket request.`, { details: { reason: 'upgrade_required' } }));
}
