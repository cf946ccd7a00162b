import { describe, expect, it } from 'vitest';
import { createConnectionTokenHasher } from '../../../src/services/session/connection-token-hash.js';
import { hashToken } from '../../../src/services/session/token.js';

describe('per-connection token hash', () => {
  it('gives the token hash, the same for a repeated token on one connection', () => {
    const hashOn = createConnectionTokenHasher();
    const connection = {};
    expect(hashOn('token-a', connection)).toBe(hashToken('token-a'));
    expect(hashOn('token-a', connection)).toBe(hashToken('token-a'));
  });

  it('hashes a different token on the same connection afresh, never answering with the last one', () => {
    const hashOn = createConnectionTokenHasher();
    const connection = {};
    hashOn('token-a', connection);
    expect(hashOn('token-b', connection)).toBe(hashToken('token-b'));
    expect(hashOn('token-a', connection)).toBe(hashToken('token-a'));
  });

  it('keeps connections apart, and hashes without one', () => {
    const hashOn = createConnectionTokenHasher();
    const first = {};
    const second = {};
    hashOn('token-a', first);
    expect(hashOn('token-b', second)).toBe(hashToken('token-b'));
    expect(hashOn('token-a', first)).toBe(hashToken('token-a'));
    expect(hashOn('token-c', undefined)).toBe(hashToken('token-c'));
  });
});
