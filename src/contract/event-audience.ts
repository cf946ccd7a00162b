import type { EventAudience } from './events.js';
import { principalScope, type Principal } from './principal.js';

/** Whether a socket of `principal` may receive an event with this audience: the local UI sees everything. */
export function audienceAllows(audience: EventAudience | undefined, principal: Principal): boolean {
  if (!audience || principal.kind === 'ui') return true;
  if ('uiOnly' in audience) return false;
  return audience.origin === principalScope(principal);
}
