import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';

/** The server did not answer in time (no response nor progress, or the hard cap was reached). */
export class McpTimeoutError extends Error {
  override readonly name = 'McpTimeoutError';
  constructor(
    message: string,
    readonly timeoutMs: number,
  ) {
    super(message);
  }
}

/** The connection ended while the request was in flight. */
export class McpConnectionClosedError extends Error {
  override readonly name = 'McpConnectionClosedError';
}

/** The server answered with a JSON-RPC error (unknown tool, invalid params, internal error…). */
export class McpRemoteError extends Error {
  override readonly name = 'McpRemoteError';
  constructor(
    message: string,
    readonly code: number,
    readonly data: unknown,
  ) {
    super(message);
  }
}

/** JSON-RPC codes the bridge reports as the caller's mistake rather than the server's failure. */
export const MCP_INVALID_PARAMS = ErrorCode.InvalidParams;
export const MCP_METHOD_NOT_FOUND = ErrorCode.MethodNotFound;

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
