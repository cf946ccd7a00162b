import { describe, expect, it } from 'vitest';
import { memoizeByConfig } from '../../src/http/policy-memo.js';

describe('memoizeByConfig', () => {
  it('builds the policy once while the config object stays the same', () => {
    const config = { current: { allowedOrigins: ['https://a.example'] } };
    let builds = 0;
    const policy = memoizeByConfig(() => config.current, (current) => ({ origins: [...current.allowedOrigins], build: ++builds }));
    const first = policy();
    expect(policy()).toBe(first);
    expect(builds).toBe(1);
  });

  it('builds it again as soon as the config is replaced, so the next read sees the change', () => {
    const config = { current: { allowedOrigins: ['https://a.example'] } };
    const policy = memoizeByConfig(() => config.current, (current) => ({ origins: [...current.allowedOrigins] }));
    expect(policy().origins).toEqual(['https://a.example']);
    config.current = { allowedOrigins: [] };
    expect(policy().origins).toEqual([]);
    config.current = { allowedOrigins: ['https://b.example'] };
    expect(policy().origins).toEqual(['https://b.example']);
  });
});
