import type { Bus, Subscription } from '../../bus/bus.js';
import type { Subjects } from '../../bus/subjects.js';
import { ROUTES } from '../../contract/routes/index.js';
import type { RouteDef } from '../../contract/route.js';
import { serveRoute } from '../serve-route.js';
import type { CallsInFlight } from './calls-in-flight.js';
import type { createCallTool } from './mcp-calls.js';
import type { createMcpRequests } from './mcp-requests.js';
import type { McpServers } from './mcp-servers.js';
import type { McpOAuth } from './oauth/mcp-oauth.js';
import type { ServerNotifications } from './server-notifications.js';
import type { ServerRequests } from './server-requests.js';

export interface McpRouteServices {
  servers: McpServers;
  callTool: ReturnType<typeof createCallTool>;
  requests: ReturnType<typeof createMcpRequests>;
  calls: CallsInFlight;
  notifications: ServerNotifications;
  serverRequests: ServerRequests;
  oauth: McpOAuth;
}

/** Every MCP route, so that an unavailable capability can answer them all. */
const MCP_ROUTES: RouteDef[] = [
  ROUTES.mcpServersList,
  ROUTES.mcpServersRegister,
  ROUTES.mcpServersUpdate,
  ROUTES.mcpServersRemove,
  ROUTES.mcpServersConnect,
  ROUTES.mcpServersDisconnect,
  ROUTES.mcpServersCapabilities,
  ROUTES.mcpCall,
  ROUTES.mcpResourcesRead,
  ROUTES.mcpResourceTemplates,
  ROUTES.mcpResourcesSubscribe,
  ROUTES.mcpResourcesUnsubscribe,
  ROUTES.mcpPromptsGet,
  ROUTES.mcpComplete,
  ROUTES.mcpLoggingSetLevel,
  ROUTES.mcpServerLogs,
  ROUTES.mcpCallsCancel,
  ROUTES.mcpServerRequestsList,
  ROUTES.mcpServerRequestsRespond,
  ROUTES.mcpServersAuthorize,
  ROUTES.mcpOauthCallback,
];

/** Serves the MCP routes on the bus; each is one call into a service. */
export function serveMcpRoutes(bus: Bus, subjects: Subjects, s: McpRouteServices): Subscription[] {
  return [
    serveRoute(bus, subjects, ROUTES.mcpServersList, ({ principal }) => ({ servers: s.servers.list(principal) })),
    serveRoute(bus, subjects, ROUTES.mcpServersRegister, ({ body, principal }) => s.servers.register(body, principal)),
    serveRoute(bus, subjects, ROUTES.mcpServersUpdate, ({ params, body, principal }) => s.servers.update(params.serverId, body, principal)),
    serveRoute(bus, subjects, ROUTES.mcpServersRemove, ({ params, principal }) => s.servers.remove(params.serverId, principal)),
    serveRoute(bus, subjects, ROUTES.mcpServersConnect, ({ params, principal }) => s.servers.connect(params.serverId, principal)),
    serveRoute(bus, subjects, ROUTES.mcpServersDisconnect, ({ params, principal }) => s.servers.disconnect(params.serverId, principal)),
    serveRoute(bus, subjects, ROUTES.mcpServersCapabilities, ({ params, principal }) => s.servers.capabilities(params.serverId, principal)),
    serveRoute(bus, subjects, ROUTES.mcpCall, ({ principal, body, abortKey }) => s.callTool({ principal, body, abortKey })),
    serveRoute(bus, subjects, ROUTES.mcpResourcesRead, ({ body, principal }) => s.requests.readResource(body, principal)),
    serveRoute(bus, subjects, ROUTES.mcpResourceTemplates, ({ params, principal }) => s.requests.resourceTemplates(params.serverId, principal)),
    serveRoute(bus, subjects, ROUTES.mcpResourcesSubscribe, ({ body, principal }) => s.requests.subscribe(body, true, principal)),
    serveRoute(bus, subjects, ROUTES.mcpResourcesUnsubscribe, ({ body, principal }) => s.requests.subscribe(body, false, principal)),
    serveRoute(bus, subjects, ROUTES.mcpPromptsGet, ({ body, principal }) => s.requests.getPrompt(body, principal)),
    serveRoute(bus, subjects, ROUTES.mcpComplete, ({ body, principal }) => s.requests.complete(body, principal)),
    serveRoute(bus, subjects, ROUTES.mcpLoggingSetLevel, ({ params, body, principal }) => s.requests.setLoggingLevel(params.serverId, body.level, principal)),
    serveRoute(bus, subjects, ROUTES.mcpServerLogs, ({ params, principal }) => {
      s.servers.record(params.serverId, principal);
      return { serverId: params.serverId, messages: s.notifications.logs(params.serverId) };
    }),
    serveRoute(bus, subjects, ROUTES.mcpCallsCancel, ({ principal, params }) => s.calls.cancel(params.callId, principal)),
    serveRoute(bus, subjects, ROUTES.mcpServerRequestsList, ({ principal }) => ({ requests: s.serverRequests.list(principal) })),
    serveRoute(bus, subjects, ROUTES.mcpServerRequestsRespond, ({ params, body, principal }) => s.serverRequests.respond(params.requestId, body, principal)),
    serveRoute(bus, subjects, ROUTES.mcpServersAuthorize, ({ params, principal }) => {
      s.servers.record(params.serverId, principal);
      return s.oauth.authorize(params.serverId, principal);
    }),
    serveRoute(bus, subjects, ROUTES.mcpOauthCallback, ({ query }) => s.oauth.callback(query)),
    // The HTTP client of a call went away: the call is cancelled upstream.
    bus.subscribe(subjects.rpcAbort, (message) => {
      const { abortKey } = (message.data ?? {}) as { abortKey?: unknown };
      if (typeof abortKey === 'string') s.calls.clientGone(abortKey);
    }),
  ];
}

/** Answers every MCP route with the same error (the registry file could not be loaded). */
export function serveMcpRoutesUnavailable(bus: Bus, subjects: Subjects, error: () => Error): Subscription[] {
  return MCP_ROUTES.map((route) =>
    serveRoute(bus, subjects, route, () => {
      throw error();
    }),
  );
}
