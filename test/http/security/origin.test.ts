import { describe, expect, it } from 'vitest';
import { checkOrigin } from '../../../src/http/security/origin.js';

const policy = { port: 4000, dev: false, allowedOrigins: ['https://app.osloop.example'] };
const devPolicy = { ...policy, dev: true };
const raw = (...origins: string[]) => origins.flatMap((o) => ['Origin', o]);

describe('checkOrigin', () => {
  it('lets requests without an Origin through (they still need a token)', () => {
    expect(checkOrigin([], policy)).toEqual({ ok: true, origin: null });
  });

  it.each([['https://app.osloop.example'], ['http://127.0.0.1:4000'], ['http://localhost:4000'], ['http://[::1]:4000']])('accepts %s exactly', (origin) => {
    expect(checkOrigin(raw(origin), policy)).toEqual({ ok: true, origin });
  });

  it.each([
    ['https://app.osloop.example.evil.com'],
    ['https://app.osloop.example/'],
    ['https://evil.com/https://app.osloop.example'],
    ['http://app.osloop.example'],
    ['https://APP.osloop.example'],
    ['https://app.osloop.example:443'],
    ['http://localhost:5173'],
    ['http://127.0.0.1:4001'],
    ['null'],
    [''],
  ])('refuses %j outside dev mode', (origin) => {
    expect(checkOrigin(raw(origin), policy).ok).toBe(false);
  });

  it.each([['http://localhost:5173'], ['http://127.0.0.1:3000'], ['http://localhost']])('accepts local dev origin %s in dev mode', (origin) => {
    expect(checkOrigin(raw(origin), devPolicy)).toEqual({ ok: true, origin });
  });

  it.each([['http://localhost.evil.com:5173'], ['https://localhost:5173'], ['http://localhost:5173/path'], ['null']])('still refuses %j in dev mode', (origin) => {
    expect(checkOrigin(raw(origin), devPolicy).ok).toBe(false);
  });

  it('refuses duplicated Origin headers', () => {
    expect(checkOrigin(raw('https://app.osloop.example', 'https://app.osloop.example'), policy)).toMatchObject({ ok: false, reason: 'duplicated Origin header' });
  });
});
