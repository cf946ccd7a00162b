import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Bus } from '../../bus/bus.js';
import type { Subjects } from '../../bus/subjects.js';
import type { BridgeConfig } from '../../config/config-schema.js';
import { BridgeError, type ErrorCode } from '../../contract/errors.js';
import type { mcpCall } from '../../contract/routes/mcp.js';
import { McpConnectionClosedError, McpRemoteError, McpTimeoutError, MCP_INVALID_PARAMS } from '../../mcp/errors.js';
import type { RpcRequest } from '../serve-route.js';
import type { LiveConnections } from './live-connections.js';
import type { McpServers } from './mcp-servers.js';

export interface McpCallsDeps {
  servers: McpServers;
  live: LiveConnections;
  bus: Bus;
  subjects: Subjects;
  settings: () => BridgeConfig['mcp'];
}

type CallBody = RpcRequest<typeof mcpCall>['body'];

/**
 * `POST /mcp/call`: straight to the server's live session, so calls to different servers (and
 * to the same one) run side by side. A tool error is a result; everything the bridge itself
 * could not do is a `BridgeError`. Every call ends with `mcp.call.completed`, which never holds
 * the arguments nor the result.
 */
export function createCallTool(deps: McpCallsDeps) {
  return async (body: CallBody): Promise<CallToolResult> => {
    const started = performance.now();
    let ok = false;
    let errorCode: ErrorCode | null = null;
    try {
      const result = await callOnce(deps, body);
      ok = result.isError !== true;
      return result;
    } catch (error) {
      const failure = toBridgeError(error, body);
      errorCode = failure.code;
      throw failure;
    } finally {
      deps.bus.publish(deps.subjects.event('mcp.call.completed'), {
        serverId: body.serverId,
        tool: body.tool,
        durationMs: Math.round(performance.now() - started),
        ok,
        errorCode,
      });
    }
  };
}

async function callOnce(deps: McpCallsDeps, body: CallBody): Promise<CallToolResult> {
  const record = deps.servers.record(body.serverId);
  const context = deps.servers.context(body.serverId);
  const connection = deps.live.get(body.serverId);
  if (context.publicState !== 'connected' || !context.capabilities || !connection) {
    throw new BridgeError('conflict', `The MCP server "${record.name}" is not connected (state: ${context.publicState}).`, {
      details: { serverId: body.serverId, state: context.publicState },
    });
  }
  const listed = context.capabilities.tools.some((tool) => tool.name === body.tool);
  const allowed = record.options.enabledTools === null || record.options.enabledTools.includes(body.tool);
  if (!listed || !allowed) {
    throw new BridgeError('not_found', `The MCP server "${record.name}" offers no tool "${body.tool}".`, {
      details: { serverId: body.serverId, tool: body.tool, reason: listed ? 'not_enabled' : 'not_listed' },
    });
  }
  const hardCap = deps.settings().callHardCapMs;
  const timeoutMs = Math.min(body.timeoutMs ?? record.options.callTimeoutMs, hardCap);
  return connection.callTool(body.tool, body.arguments, { timeoutMs, maxTotalTimeoutMs: hardCap });
}

function toBridgeError(error: unknown, body: CallBody): BridgeError {
  const details = { serverId: body.serverId, tool: body.tool };
  if (error instanceof BridgeError) return error;
  if (error instanceof McpTimeoutError) {
    return new BridgeError('mcp_timeout', error.message, { details: { ...details, timeoutMs: error.timeoutMs } });
  }
  if (error instanceof McpConnectionClosedError) {
    return new BridgeError('upstream_error', 'The MCP server closed the connection during the call.', { details });
  }
  if (error instanceof McpRemoteError) {
    // The server judged the arguments: the caller's mistake, not the server's failure.
    if (error.code === MCP_INVALID_PARAMS) {
      return new BridgeError('invalid_request', `The MCP server refused the call: ${error.message}`, { details: { ...details, mcpCode: error.code } });
    }
    return new BridgeError('upstream_error', `The MCP server answered with an error: ${error.message}`, { details: { ...details, mcpCode: error.code } });
  }
  return new BridgeError('upstream_error', `The call failed: ${error instanceof Error ? error.message : String(error)}`, { details, cause: error });
}
