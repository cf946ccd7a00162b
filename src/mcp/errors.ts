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

/**
 * JSON-RPC codes the bridge reports as the caller's mistake rather than the server's failure.
 * JSON-RPC 2.0's own numbers (the SDK's `ErrorCode.InvalidParams` and `.MethodNotFound`, which a
 * test compares them with), written here so that a start need not load the SDK's types module.
 */
export const MCP_INVALID_PARAMS = -32602;
export const MCP_METHOD_NOT_FOUND = -32601;
