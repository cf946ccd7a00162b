import { principalScope, type Principal } from '../../contract/principal.js';

/** Who may see and answer a server's request, from whose requests to that server were in flight. */
export type ServerRequestAudience =
  /** One origin's requests were in flight: the server asks on behalf of that caller. */
  | { visibleTo: 'caller'; requestedBy: Principal }
  /** Several origins' requests were in flight: the protocol does not say whose it serves, so only the user decides. */
  | { visibleTo: 'ui_only'; requestedBy: null }
  /** None: the server asks on its own (roots after the handshake), as the machine's server. */
  | { visibleTo: 'everyone'; requestedBy: null };

interface Caller {
  principal: Principal;
  requests: number;
}

/**
 * The requests each MCP server is serving for whom (tool calls, reads, prompts, completions…), so
 * that a request the server makes meanwhile (sampling, elicitation) reaches the caller it serves
 * and no other origin. MCP does not link a server's request to the client request it serves (a
 * stdio message carries no such id), so the link is drawn from what is in flight; callers are
 * counted per origin (the local UI apart), since origins are what is isolated.
 */
export class CallersInFlight {
  readonly #byServer = new Map<string, Map<string, Caller>>();

  /** Counts a request of `principal` to `serverId` until the returned function is called. */
  enter(serverId: string, principal: Principal): () => void {
    const key = callerKey(principal);
    let callers = this.#byServer.get(serverId);
    if (!callers) this.#byServer.set(serverId, (callers = new Map()));
    const caller = callers.get(key);
    if (caller) caller.requests++;
    else callers.set(key, { principal, requests: 1 });
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const current = callers.get(key)!;
      if (--current.requests > 0) return;
      callers.delete(key);
      if (callers.size === 0) this.#byServer.delete(serverId);
    };
  }

  /** Who a request `serverId` makes now is for. */
  audienceFor(serverId: string): ServerRequestAudience {
    const callers = this.#byServer.get(serverId);
    if (!callers) return { visibleTo: 'everyone', requestedBy: null };
    if (callers.size > 1) return { visibleTo: 'ui_only', requestedBy: null };
    return { visibleTo: 'caller', requestedBy: callers.values().next().value!.principal };
  }
}

/** The local UI is kept apart from sessions without an origin, which share its scope (null). */
const callerKey = (principal: Principal): string => (principal.kind === 'ui' ? 'ui' : `scope:${principalScope(principal)}`);
