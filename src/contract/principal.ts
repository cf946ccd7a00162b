import { z } from 'zod';

/** Who is behind a request, as established by the HTTP layer before anything is dispatched. */
export const principalSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('anonymous'), origin: z.string().nullable() }),
  z.object({ kind: z.literal('session'), sessionId: z.string(), origin: z.string().nullable() }),
  z.object({ kind: z.literal('ui') }),
]);
export type Principal = z.infer<typeof principalSchema>;
