import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { McpConnectionClosedError, McpRemoteError, McpTimeoutError } from './errors.js';

// Apart from errors.ts, whose classes the services use at start: this needs the SDK's types
// module, which loads with the client at the first connect (issue 15, cold start).

/**
 * Maps what the SDK throws to one error class per condition, so callers never look at SDK
 * internals. `timeoutMs` is what the caller asked for, reported on a timeout.
 */
export function classifyMcpError(error: unknown, timeoutMs: number): Error {
  if (error instanceof McpTimeoutError || error instanceof McpConnectionClosedError || error instanceof McpRemoteError) return error;
  if (error instanceof McpError) {
    if (error.code === ErrorCode.RequestTimeout) {
      const total = (error.data as { maxTotalTimeout?: unknown } | undefined)?.maxTotalTimeout;
      return typeof total === 'number'
        ? new McpTimeoutError(`The tool call reached the hard cap of ${total} ms.`, total)
        : new McpTimeoutError(`The MCP server did not answer within ${timeoutMs} ms.`, timeoutMs);
    }
    if (error.code === ErrorCode.ConnectionClosed) return new McpConnectionClosedError('The MCP server closed the connection during the request.');
    return new McpRemoteError(error.message, error.code, error.data);
  }
  if (error instanceof Error && /not connected/i.test(error.message)) return new McpConnectionClosedError('The MCP connection is closed.');
  return error instanceof Error ? error : new Error(String(error));
}
