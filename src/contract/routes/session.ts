import { z } from 'zod';
import { PROTOCOL_VERSION, SESSION_BODY_LIMIT_BYTES } from '../constants.js';
import { defineRoute } from '../route.js';

const sessionReply = z.object({
  sessionId: z.string(),
  sessionToken: z.string().describe('Opaque bearer token (256 random bits, base64url). Send it as X-OSLOOP-BRIDGE-TOKEN.'),
  expiresAt: z.iso.datetime(),
  protocolVersion: z.literal(PROTOCOL_VERSION),
});

export const sessionHandshake = defineRoute({
  id: 'session.handshake',
  method: 'POST',
  path: '/api/v1/session/handshake',
  auth: 'none',
  summary: 'Create a session',
  body: z
    .strictObject({
      clientName: z.string().min(1).max(200).optional().describe('Shown to the user in the connection log.'),
      clientVersion: z.string().max(100).optional(),
      protocolVersion: z.literal(PROTOCOL_VERSION).optional().describe('If sent, must be the bridge protocol.'),
    })
    .default({}),
  reply: sessionReply,
  successStatus: 201,
  rateLimited: true,
  bodyLimit: SESSION_BODY_LIMIT_BYTES,
});

export const sessionRefresh = defineRoute({
  id: 'session.refresh',
  method: 'POST',
  path: '/api/v1/session/refresh',
  auth: 'none',
  summary: 'Refresh a session',
  body: z.strictObject({ sessionToken: z.string().min(1).max(512) }),
  reply: sessionReply,
  bodyLimit: SESSION_BODY_LIMIT_BYTES,
});
