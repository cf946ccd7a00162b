import { BridgeError } from '../../contract/errors.js';
import { McpConnectionClosedError, McpRemoteError, McpTimeoutError, MCP_INVALID_PARAMS } from '../../mcp/errors.js';

/**
 * What a proxied request's failure means for the caller. A timeout is 504, arguments the server
 * refused (JSON-RPC -32602) the caller's mistake, anything else the server's failure (502).
 */
export function toBridgeError(error: unknown, details: Record<string, unknown>, what: 'call' | 'request'): BridgeError {
  if (error instanceof BridgeError) return error;
  if (error instanceof McpTimeoutError) {
    return new BridgeError('mcp_timeout', error.message, { details: { ...details, timeoutMs: error.timeoutMs } });
  }
  if (error instanceof McpConnectionClosedError) {
    return new BridgeError('upstream_error', `The MCP server closed the connection during the ${what}.`, { details });
  }
  if (error instanceof McpRemoteError) {
    if (error.code === MCP_INVALID_PARAMS) {
      return new BridgeError('invalid_request', `The MCP server refused the ${what}: ${error.message}`, { details: { ...details, mcpCode: error.code } });
    }
    return new BridgeError('upstream_error', `The MCP server answered with an error: ${error.message}`, { details: { ...details, mcpCode: error.code } });
  }
  return new BridgeError('upstream_error', `The ${what} failed: ${error instanceof Error ? error.message : String(error)}`, { details, cause: error });
}
