import { z } from 'zod';

/**
 * Who is behind a request, as established where it enters, before anything is dispatched: the
 * HTTP guard, or the fleet edge from a verified signature (`fleet`: a paired orchestrator, named
 * by its nkey public key; it can never answer prompts).
 */
export const principalSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('anonymous'), origin: z.string().nullable() }),
  z.object({ kind: z.literal('session'), sessionId: z.string(), origin: z.string().nullable() }),
  z.object({ kind: z.literal('ui') }),
  z.object({ kind: z.literal('fleet'), orchestrator: z.string() }),
]);
export type Principal = z.infer<typeof principalSchema>;

/**
 * The origin-like key rules and isolation scope to: a web app's origin, `fleet:<orchestrator key>`
 * for a fleet orchestrator, null for the local UI (and for a session without an origin).
 */
export function principalScope(principal: Principal): string | null {
  switch (principal.kind) {
    case 'anonymous':
    case 'session':
      return principal.origin;
    case 'fleet':
      return `fleet:${principal.orchestrator}`;
    case 'ui':
      return null;
  }
}

/**
 * Whether `principal` may see (and act on) something `owner` asked for: the local UI sees
 * everything, anyone else only what its own scope (origin, or fleet orchestrator) asked for.
 */
export function sharesScope(principal: Principal, owner: Principal): boolean {
  return principal.kind === 'ui' || principalScope(owner) === principalScope(principal);
}
