import { z } from 'zod';
import { errorCodeSchema } from './errors.js';
import { resourceIdSchema } from './routes/common.js';
import { promptsResolve, resolvePromptBodySchema } from './routes/permissions.js';

/** Largest client message the event socket reads; anything longer is answered with an error frame. */
export const MAX_CLIENT_MESSAGE_BYTES = 16 * 1024;

/**
 * What a client may send on `/ws/v1/events`: the answer to a permission prompt, so that a page
 * whose HTTP connections are all held by waiting executes can still answer them. It goes through
 * the same route as `POST …/prompts/:requestId/resolve`, with the socket's principal.
 */
export const promptResolveMessageSchema = z.strictObject({
  type: z.literal('prompt.resolve'),
  id: z.string().max(128).optional().describe('Echoed in the result frame, to pair answers with results.'),
  promptId: resourceIdSchema,
  decision: z.unknown().describe('As in the resolve route\'s body.'),
  ruleArgsPrefix: z.unknown().optional(),
  ruleScope: z.unknown().optional(),
});
export type PromptResolveMessage = z.infer<typeof promptResolveMessageSchema>;

/** The body of the resolve route, from a socket message (validated by the route's own schema). */
export function resolveBodyOf(message: PromptResolveMessage): unknown {
  const { type: _type, id: _id, promptId: _promptId, ...body } = message;
  return body;
}

export const resolveBodySchema = resolvePromptBodySchema;

/** The frame answering a `prompt.resolve` message: the route's reply, or its error. */
export const promptResolveResultFrameSchema = z.object({
  type: z.literal('prompt.resolve.result'),
  id: z.string().nullable(),
  promptId: z.string().nullable(),
  ok: z.boolean(),
  result: promptsResolve.reply.nullable(),
  error: z.object({ code: errorCodeSchema, message: z.string(), details: z.record(z.string(), z.unknown()).optional() }).nullable(),
});
export type PromptResolveResultFrame = z.infer<typeof promptResolveResultFrameSchema>;
