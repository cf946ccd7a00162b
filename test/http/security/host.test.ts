import { describe, expect, it } from 'vitest';
import { checkHost } from '../../../src/http/security/host.js';

const raw = (...hosts: string[]) => hosts.flatMap((h) => ['Host', h]);

describe('checkHost', () => {
  it.each([['127.0.0.1:4000'], ['localhost:4000'], ['[::1]:4000'], ['LOCALHOST:4000']])('accepts %s', (host) => {
    expect(checkHost(raw(host), 4000)).toEqual({ ok: true });
  });

  it.each([
    ['evil.example:4000', 403],
    ['127.0.0.1:4001', 403],
    ['localhost', 403],
    ['127.0.0.1', 403],
    ['127.0.0.2:4000', 403],
    ['localhost.evil.example:4000', 403],
    ['0.0.0.0:4000', 403],
    ['', 400],
    ['   ', 400],
    ['127.0.0.1:4000/x', 400],
    ['user@127.0.0.1:4000', 400],
    ['127.0.0.1:4000 evil', 400],
  ] as const)('refuses %j with %i', (host, status) => {
    expect(checkHost(raw(host), 4000)).toMatchObject({ ok: false, status });
  });

  it('refuses a missing Host', () => {
    expect(checkHost(['Accept', '*/*'], 4000)).toMatchObject({ ok: false, status: 400, reason: 'missing Host header' });
  });

  it('refuses a duplicated Host even when both are allowed', () => {
    expect(checkHost(raw('127.0.0.1:4000', '127.0.0.1:4000'), 4000)).toMatchObject({ ok: false, status: 400, reason: 'duplicated Host header' });
  });
});
