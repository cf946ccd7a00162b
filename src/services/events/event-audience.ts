import { audienceOfPrincipal, isPrincipal, serverRequestAudience } from '../../contract/event-audience.js';
import type { Principal } from '../../contract/principal.js';
import type { EventAudience } from '../../contract/events.js';

/**
 * Who may see an event: origins are isolated. An event about a run, a prompt, a decision, a rule,
 * a job, a session, an awake lock, a file picker, a write or an MCP call belongs to the origin that asked for it, and only that origin's sockets (and
 * the local UI, which sees everything) receive it. Other events (bridge, MCP registry, the awake
 * state, inventory) go to everyone.
 *
 * The owner is read from the event itself when it carries who asked (`requestedBy` of a run,
 * prompt or decision, a lock's `holder`, a rule's `scope.origin`, a new session's `origin`), and remembered for the
 * ids it names, so that events naming only an id (`stdout`, `prompt.resolved`, `job.updated`)
 * find it. An id never seen is looked up in the live actor that owns it; an event about
 * something whose owner cannot be found goes to the local UI only.
 *
 * An MCP server belongs to the origin that registered it, and so do its events (`mcp.server.*`,
 * `mcp.resource.updated`): a registration or removal names its `origin`, the others only the
 * server, whose owner is then remembered or asked of its live actor.
 *
 * An MCP server's own requests say who they are for (`visibleTo`, drawn from the callers in
 * flight when the server asked): the caller's origin, the local UI only, or everyone who may use
 * the server, i.e. its owner's origin.
 */
const OWNED_TYPES = ['system.command.', 'permission.', 'bridge.job.', 'system.tool.install_', 'session.', 'awake.acquired', 'awake.released', 'filesystem.selected', 'filesystem.written', 'mcp.call.'];
/** Owners remembered; the oldest are forgotten first (far more than a ring of events names). */
const MAX_REMEMBERED = 100_000;

const UI_ONLY: EventAudience = { uiOnly: true };

export function createAudienceTracker(lookup: (id: string) => Principal | undefined, serverOriginOf: (serverId: string) => string | null | undefined = () => undefined) {
  const owners = new Map<string, EventAudience>();
  const remember = (id: unknown, audience: EventAudience) => {
    if (typeof id !== 'string' || owners.has(id)) return;
    owners.set(id, audience);
    if (owners.size > MAX_REMEMBERED) owners.delete(owners.keys().next().value!);
  };

  const serverAudience = (record: Record<string, unknown>): EventAudience => {
    const { serverId } = record;
    if (record.origin === null || typeof record.origin === 'string') {
      const audience = { origin: record.origin };
      // A removed server's id is never reused: forgetting it would only lose its late events.
      remember(serverId, audience);
      return audience;
    }
    if (typeof serverId !== 'string') return UI_ONLY;
    const known = owners.get(serverId);
    if (known) return known;
    const origin = serverOriginOf(serverId);
    if (origin === undefined) return UI_ONLY;
    remember(serverId, { origin });
    return { origin };
  };

  return function audienceOf(type: string, data: unknown): EventAudience | undefined {
    if (type.startsWith('mcp.server_request.')) {
      const request = (data ?? {}) as Record<string, unknown>;
      return request.visibleTo === 'everyone' ? serverAudience({ serverId: request.serverId }) : serverRequestAudience(request);
    }
    if (type.startsWith('mcp.server.') || type === 'mcp.resource.updated') return serverAudience((data ?? {}) as Record<string, unknown>);
    if (!OWNED_TYPES.some((prefix) => type.startsWith(prefix))) return undefined;
    const record = (data ?? {}) as Record<string, unknown>;
    // A lock's run id is not its owner's key: the lock is found by its own id first.
    const ids = [record.lockId, record.pickerId, record.runId, record.promptId, record.installId, record.subjectId, (record.subject as { id?: unknown } | undefined)?.id, record.sessionId].filter(
      (id): id is string => typeof id === 'string',
    );
    let audience: EventAudience | undefined;
    if (isPrincipal(record.requestedBy)) audience = audienceOfPrincipal(record.requestedBy);
    else if (isPrincipal(record.holder)) audience = audienceOfPrincipal(record.holder);
    else if (type === 'permission.whitelist.updated') audience = { origin: (record.rule as { scope?: { origin?: string | null } } | undefined)?.scope?.origin ?? null };
    else if (type === 'session.created') audience = { origin: typeof record.origin === 'string' ? record.origin : null };
    if (audience) {
      for (const id of ids) remember(id, audience);
      return audience;
    }
    for (const id of ids) {
      const known = owners.get(id);
      if (known) return known;
      const principal = lookup(id);
      if (principal) {
        const found = audienceOfPrincipal(principal);
        remember(id, found);
        return found;
      }
    }
    return UI_ONLY;
  };
}

