import type { EventAudience } from './events.js';
import { principalScope, type Principal } from './principal.js';

/** Whether a socket of `principal` may receive an event with this audience: the local UI sees everything. */
export function audienceAllows(audience: EventAudience | undefined, principal: Principal): boolean {
  if (!audience || principal.kind === 'ui') return true;
  if ('uiOnly' in audience) return false;
  return audience.origin === principalScope(principal);
}

const UI_ONLY: EventAudience = { uiOnly: true };

/** The audience of something `principal` asked for: its origin's sockets, or the local UI's alone. */
export function audienceOfPrincipal(principal: Principal): EventAudience {
  return principal.kind === 'ui' ? UI_ONLY : { origin: principalScope(principal) };
}

/**
 * Who an MCP server's request (and its events) is for, from the `visibleTo` and `requestedBy` it
 * carries: everyone, the caller's origin, or the local UI alone (also for anything malformed).
 * The one reading of those fields, for listing and answering as for the event stream.
 */
export function serverRequestAudience(request: { visibleTo?: unknown; requestedBy?: unknown }): EventAudience | undefined {
  if (request.visibleTo === 'everyone') return undefined;
  if (request.visibleTo === 'caller' && isPrincipal(request.requestedBy)) return audienceOfPrincipal(request.requestedBy);
  return UI_ONLY;
}

export function isPrincipal(value: unknown): value is Principal {
  return typeof value === 'object' && value !== null && typeof (value as { kind?: unknown }).kind === 'string';
}
