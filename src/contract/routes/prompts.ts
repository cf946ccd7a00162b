import { z } from 'zod';
import { defineRoute } from '../route.js';
import { cursorSchema } from './common.js';
import { decisionSchema, promptViewSchema } from './permissions.js';

/** The local UI's view of the permission authority: what waits for the user, and the audit. */
export const uiPrompts = defineRoute({
  id: 'ui.prompts',
  method: 'GET',
  path: '/api/v1/ui/prompts',
  auth: 'ui',
  summary: 'Pending permission prompts (local UI only)',
  reply: z.object({ prompts: z.array(promptViewSchema).describe('Oldest first: the order they were asked in.') }),
});

export const uiDecisions = defineRoute({
  id: 'ui.decisions',
  method: 'GET',
  path: '/api/v1/ui/decisions',
  auth: 'ui',
  summary: 'Audit of recorded permission decisions (local UI only)',
  query: z.strictObject({
    limit: z.coerce.number().int().min(1).max(500).default(100),
    cursor: cursorSchema.optional(),
  }),
  reply: z.object({
    decisions: z.array(decisionSchema).describe('Newest first; kept across restarts.'),
    nextCursor: z.string().nullable(),
  }),
});
