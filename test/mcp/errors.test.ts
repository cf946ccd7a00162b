import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { MCP_INVALID_PARAMS, MCP_METHOD_NOT_FOUND } from '../../src/mcp/errors.js';

describe('the JSON-RPC codes the bridge names without loading the SDK', () => {
  it('are the SDK’s own codes for invalid params and an unknown method', () => {
    expect({ invalidParams: MCP_INVALID_PARAMS, methodNotFound: MCP_METHOD_NOT_FOUND }).toEqual({
      invalidParams: ErrorCode.InvalidParams,
      methodNotFound: ErrorCode.MethodNotFound,
    });
  });
});
