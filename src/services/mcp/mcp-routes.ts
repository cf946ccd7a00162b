import type { Bus, Subscription } from '../../bus/bus.js';
import type { Subjects } from '../../bus/subjects.js';
import { ROUTES } from '../../contract/routes/index.js';
import { serveRoute } from '../serve-route.js';
import type { createCallTool } from './mcp-calls.js';
import type { McpServers } from './mcp-servers.js';

/** Serves the eight MCP routes on the bus; each is one call into the servers service. */
export function serveMcpRoutes(
  bus: Bus,
  subjects: Subjects,
  servers: McpServers,
  callTool: ReturnType<typeof createCallTool>,
): Subscription[] {
  return [
    serveRoute(bus, subjects, ROUTES.mcpServersList, () => ({ servers: servers.list() })),
    serveRoute(bus, subjects, ROUTES.mcpServersRegister, ({ body, principal }) => servers.register(body, principal)),
    serveRoute(bus, subjects, ROUTES.mcpServersUpdate, ({ params, body, principal }) => servers.update(params.serverId, body, principal)),
    serveRoute(bus, subjects, ROUTES.mcpServersRemove, ({ params }) => servers.remove(params.serverId)),
    serveRoute(bus, subjects, ROUTES.mcpServersConnect, ({ params, principal }) => servers.connect(params.serverId, principal)),
    serveRoute(bus, subjects, ROUTES.mcpServersDisconnect, ({ params }) => servers.disconnect(params.serverId)),
    serveRoute(bus, subjects, ROUTES.mcpServersCapabilities, ({ params }) => servers.capabilities(params.serverId)),
    serveRoute(bus, subjects, ROUTES.mcpCall, ({ body }) => callTool(body)),
  ];
}

/** Answers every MCP route with the same error (the registry file could not be loaded). */
export function serveMcpRoutesUnavailable(bus: Bus, subjects: Subjects, error: () => Error): Subscription[] {
  const routes = [
    ROUTES.mcpServersList,
    ROUTES.mcpServersRegister,
    ROUTES.mcpServersUpdate,
    ROUTES.mcpServersRemove,
    ROUTES.mcpServersConnect,
    ROUTES.mcpServersDisconnect,
    ROUTES.mcpServersCapabilities,
    ROUTES.mcpCall,
  ];
  return routes.map((route) =>
    serveRoute(bus, subjects, route, () => {
      throw error();
    }),
  );
}
