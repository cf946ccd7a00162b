import { principalScope, type Principal } from '../../contract/principal.js';

/** Who may see and answer a server's request, from whose requests to that server were in flight. */
export type ServerRequestAudience =
  /** One origin's requests were in flight: the server asks on behalf of that caller. */
  | { visibleTo: 'caller'; requestedBy: Principal }
  /** Several origins' requests were in flight: the protocol does not say whose it serves, so only the user decides. */
  | { visibleTo: 'ui_only'; requestedBy: null }
  /** None: the server asks on its own (roots after the handshake), as the machine's server. */
  | { visibleTo: 'everyone'; requestedBy: null };

/**
 * The requests each MCP server is serving for whom (tool calls, reads, prompts, completions…), so
 * that a request the server makes meanwhile (sampling, elicitation) reaches the caller it serves
 * and no other origin. MCP does not link a server's request to the client request it serves (a
 * stdio message carries no such id), so the link is drawn from what is in flight; callers are
 * grouped by origin (the local UI apart), since origins are what is isolated.
 */
export class CallersInFlight {
  /** Per server, per origin: the principal of each request in flight, oldest first. */
  readonly #byServer = new Map<string, Map<string, Principal[]>>();

  /** Counts a request of `principal` to `serverId` until the returned function is called. */
  enter(serverId: string, principal: Principal): () => void {
    const key = callerKey(principal);
    let origins = this.#byServer.get(serverId);
    if (!origins) this.#byServer.set(serverId, (origins = new Map()));
    let requests = origins.get(key);
    if (!requests) origins.set(key, (requests = []));
    // A token of its own, so that leaving removes this request even when one principal has several.
    const entry = { ...principal };
    requests.push(entry);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      requests.splice(requests.indexOf(entry), 1);
      if (requests.length > 0) return;
      origins.delete(key);
      if (origins.size === 0) this.#byServer.delete(serverId);
    };
  }

  /** Who a request `serverId` makes now is for: with one origin calling, its latest request's caller. */
  audienceFor(serverId: string): ServerRequestAudience {
    const origins = this.#byServer.get(serverId);
    if (!origins) return { visibleTo: 'everyone', requestedBy: null };
    if (origins.size > 1) return { visibleTo: 'ui_only', requestedBy: null };
    return { visibleTo: 'caller', requestedBy: origins.values().next().value!.at(-1)! };
  }
}

/** The local UI is kept apart from sessions without an origin, which share its scope (null). */
const callerKey = (principal: Principal): string => (principal.kind === 'ui' ? 'ui' : `scope:${principalScope(principal)}`);
