import { describe, expect, it } from 'vitest';
import { canonicalHint } from '../../../src/http/security/malformed-path.js';

describe('canonicalHint', () => {
  it.each([
    ['/api/v1/api/v1/health', '/api/v1/health'],
    ['/api/v1/api/v1/api/v1/bridge/info', '/api/v1/bridge/info'],
    ['/api/v1//health', '/api/v1/health'],
    ['/api/v1/health/', '/api/v1/health'],
    ['/api/v1/health', null],
    ['/elsewhere', null],
  ])('%s → %s', (path, hint) => {
    expect(canonicalHint(path)).toBe(hint);
  });
});
