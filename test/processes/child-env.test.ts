import { describe, expect, it } from 'vitest';
import { buildChildEnv } from '../../src/processes/child-env.js';

describe('child environment', () => {
  const inherited = {
    HOME: '/home/me',
    PATH: '/usr/bin',
    OSLOOP_BRIDGE_HOME: '/home/me/.osloop',
    osloop_lowercase: 'x',
    COPIED_TOKEN: 'prefix-ui-token-value-suffix',
    EMPTY: undefined,
  };

  it('drops the bridge\'s own variables and any variable holding one of its secrets', () => {
    const env = buildChildEnv({ inherited, loginPath: '/login/bin:/usr/bin', secrets: ['ui-token-value'] });
    expect(env).toEqual({ HOME: '/home/me', PATH: '/login/bin:/usr/bin' });
  });

  it('puts the request\'s variables on top, PATH included', () => {
    const env = buildChildEnv({ inherited, loginPath: '/login/bin', requested: { PATH: '/custom', API_KEY: 'k' }, secrets: [] });
    expect(env).toMatchObject({ PATH: '/custom', API_KEY: 'k' });
  });

  it('keeps the PATH variable\'s own spelling (Path on Windows)', () => {
    const env = buildChildEnv({ inherited: { Path: 'C:\\Windows' }, loginPath: 'C:\\Tools;C:\\Windows', secrets: [] });
    expect(env).toEqual({ Path: 'C:\\Tools;C:\\Windows' });
  });

  it('keeps a requested variable named like an object key (__proto__) as a variable', () => {
    const requested = JSON.parse('{"__proto__": "value", "constructor": "c"}') as Record<string, string>;
    const env = buildChildEnv({ inherited: { HOME: '/home/me' }, loginPath: '/usr/bin', requested, secrets: [] });
    expect(Object.keys(env)).toEqual(['HOME', 'PATH', '__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(env, '__proto__')?.value).toBe('value');
  });

  it('reads the live process.env: every variable the bridge may pass, with its value at that moment', () => {
    const name = `CHILD_ENV_TEST_${process.pid}`;
    process.env[name] = 'first';
    try {
      const first = buildChildEnv({ inherited: process.env, loginPath: '/login/bin', secrets: [] });
      process.env[name] = 'second';
      const second = buildChildEnv({ inherited: process.env, loginPath: '/login/bin', secrets: [] });
      expect([first[name], second[name]]).toEqual(['first', 'second']);
      for (const [key, value] of Object.entries(process.env)) {
        if (/^OSLOOP_/i.test(key) || key.toUpperCase() === 'PATH') continue;
        expect(second[key], key).toBe(value);
      }
    } finally {
      delete process.env[name];
    }
  });
});
