import { describe, expect, it } from 'vitest';
import { BusNoResponders, BusTimeout } from '../../src/bus/errors.js';
import { BridgeError } from '../../src/contract/errors.js';
import { toBridgeError } from '../../src/http/errors.js';

describe('toBridgeError', () => {
  it('turns a route nobody serves into 501 unsupported', () => {
    const error = toBridgeError(new BusNoResponders('osloop.x.rpc.mcp.call'));
    expect(error.code).toBe('unsupported');
    expect(error.status).toBe(501);
  });

  it('turns a bus timeout into 503 unavailable', () => {
    expect(toBridgeError(new BusTimeout('osloop.x.rpc.health', 5_000)).status).toBe(503);
  });

  it('keeps a BridgeError as it is', () => {
    const original = new BridgeError('conflict', 'already resolved');
    expect(toBridgeError(original)).toBe(original);
  });

  it('maps fastify body errors to their structured codes', () => {
    expect(toBridgeError(Object.assign(new Error('too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 })).code).toBe('payload_too_large');
    expect(toBridgeError(Object.assign(new Error('media'), { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 })).code).toBe('unsupported_media_type');
  });

  it('treats anything unknown as an internal bridge bug, with a generic message', () => {
    const error = toBridgeError(new TypeError('x is undefined at /secret/path.ts:12'));
    expect(error.code).toBe('internal');
    expect(error.message).not.toContain('/secret/path');
  });
});
