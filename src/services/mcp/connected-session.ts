import type { McpConnectionContext } from '../../../machines/mcpConnection.machine.js';
import { BridgeError } from '../../contract/errors.js';
import type { Principal } from '../../contract/principal.js';
import type { McpConnection } from '../../mcp/connector.js';
import type { ServerRecord } from './server-record.js';
import type { LiveConnections } from './live-connections.js';
import type { McpServers } from './mcp-servers.js';

export interface ConnectedSession {
  record: ServerRecord;
  context: McpConnectionContext & { capabilities: NonNullable<McpConnectionContext['capabilities']> };
  connection: McpConnection;
}

/** The server's live session, or 404 (unknown server, or not `principal`'s to use) / 409 (not connected). */
export function connectedSession(servers: McpServers, live: LiveConnections, serverId: string, principal: Principal): ConnectedSession {
  const record = servers.record(serverId, principal);
  const context = servers.context(serverId);
  const connection = live.get(serverId);
  if (context.publicState !== 'connected' || !context.capabilities || !connection) {
    throw new BridgeError('conflict', `The MCP server "${record.name}" is not connected (state: ${context.publicState}).`, {
      details: { serverId, state: context.publicState },
    });
  }
  return { record, context: context as ConnectedSession['context'], connection };
}
