import type { Bus } from '../../bus/bus.js';
import type { Subjects } from '../../bus/subjects.js';
import { BridgeError } from '../../contract/errors.js';
import type { Principal } from '../../contract/principal.js';
import { MCP_REQUEST_TIMEOUT_MS } from '../../contract/routes/mcp-protocol.js';
import type { McpRequestMethod } from '../../mcp/connector.js';
import type { CallersInFlight } from './callers-in-flight.js';
import { connectedSession } from './connected-session.js';
import type { LiveConnections } from './live-connections.js';
import type { McpServers } from './mcp-servers.js';
import { toBridgeError } from './mcp-failures.js';

export interface McpRequestsDeps {
  servers: McpServers;
  live: LiveConnections;
  bus: Bus;
  subjects: Subjects;
  callers: CallersInFlight;
}

/** Which server capability each request needs, so a request the server never offered is 409, not a JSON-RPC error. */
const NEEDS: Record<McpRequestMethod, (capabilities: Record<string, unknown>) => boolean> = {
  'resources/read': (c) => Boolean(c.resources),
  'resources/templates/list': (c) => Boolean(c.resources),
  'resources/subscribe': (c) => Boolean((c.resources as { subscribe?: boolean } | undefined)?.subscribe),
  'resources/unsubscribe': (c) => Boolean((c.resources as { subscribe?: boolean } | undefined)?.subscribe),
  'prompts/get': (c) => Boolean(c.prompts),
  'completion/complete': (c) => Boolean(c.completions),
  'logging/setLevel': (c) => Boolean(c.logging),
};

/** Pages of resource templates fetched at most. */
const MAX_TEMPLATE_PAGES = 100;

/**
 * The proxied requests besides tool calls: each goes to the server's live session and comes back
 * as the server answered it. Arguments and results are never logged nor put in events. Each is
 * counted as its caller's while in flight, as calls are: a server may ask for sampling or
 * elicitation while it serves a read or a prompt too.
 */
export function createMcpRequests(deps: McpRequestsDeps) {
  const send = async (principal: Principal, serverId: string, method: McpRequestMethod, params: Record<string, unknown>, timeoutMs = MCP_REQUEST_TIMEOUT_MS) => {
    const details = { serverId, method };
    try {
      const { record, context, connection } = connectedSession(deps.servers, deps.live, serverId, principal);
      if (!NEEDS[method](context.capabilities.capabilities)) {
        throw new BridgeError('conflict', `The MCP server "${record.name}" does not offer ${method} (see its capabilities).`, {
          details: { ...details, reason: 'not_offered' },
        });
      }
      const leave = deps.callers.enter(serverId, principal);
      try {
        return await connection.request(method, params, { timeoutMs });
      } finally {
        leave();
      }
    } catch (error) {
      throw toBridgeError(error, details, 'request');
    }
  };

  return {
    readResource: (body: { serverId: string; uri: string; timeoutMs?: number | undefined }, principal: Principal) =>
      send(principal, body.serverId, 'resources/read', { uri: body.uri }, body.timeoutMs),

    async resourceTemplates(serverId: string, principal: Principal) {
      const resourceTemplates: Array<{ uriTemplate: string }> = [];
      let cursor: string | undefined;
      for (let page = 0; page < MAX_TEMPLATE_PAGES; page++) {
        const result = (await send(principal, serverId, 'resources/templates/list', cursor ? { cursor } : {})) as { resourceTemplates: Array<{ uriTemplate: string }>; nextCursor?: string };
        resourceTemplates.push(...result.resourceTemplates);
        if (!result.nextCursor) break;
        cursor = result.nextCursor;
      }
      return { serverId, resourceTemplates };
    },

    async subscribe(body: { serverId: string; uri: string }, subscribed: boolean, principal: Principal) {
      await send(principal, body.serverId, subscribed ? 'resources/subscribe' : 'resources/unsubscribe', { uri: body.uri });
      return { serverId: body.serverId, uri: body.uri, subscribed } as never;
    },

    getPrompt: (body: { serverId: string; name: string; arguments: Record<string, string>; timeoutMs?: number | undefined }, principal: Principal) =>
      send(principal, body.serverId, 'prompts/get', { name: body.name, arguments: body.arguments }, body.timeoutMs),

    complete: (body: { serverId: string; ref: object; argument: object; context?: object | undefined; timeoutMs?: number | undefined }, principal: Principal) =>
      send(principal, body.serverId, 'completion/complete', { ref: body.ref, argument: body.argument, ...(body.context ? { context: body.context } : {}) }, body.timeoutMs),

    async setLoggingLevel<L extends string>(serverId: string, level: L, principal: Principal) {
      await send(principal, serverId, 'logging/setLevel', { level });
      return { serverId, level };
    },
  };
}
