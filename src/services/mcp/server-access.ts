import { principalScope, type Principal } from '../../contract/principal.js';

/**
 * Whether `principal` may see and use a server registered by `origin` (null: the local user).
 * Servers belong to the origin that registered them: what one web app registered, with the
 * credentials it resolved into the transport, is no other web app's to list, call or change.
 * The local UI sees every server; a fleet orchestrator uses the local user's, as `docs/fleet.md`
 * promises, and never a web app's.
 */
export function canUseServer(principal: Principal, origin: string | null): boolean {
  if (principal.kind === 'ui') return true;
  if (principal.kind === 'fleet' && origin === null) return true;
  return principalScope(principal) === origin;
}
