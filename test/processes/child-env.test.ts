import { describe, expect, it } from 'vitest';
import { buildChildEnv, ChildEnvironments } from '../../src/processes/child-env.js';

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

describe('the environments of one bridge\'s children', () => {
  const inherited = { HOME: '/home/me', PATH: '/usr/bin', OSLOOP_BRIDGE_HOME: '/home/me/.osloop', COPIED_TOKEN: 'prefix-ui-token-value-suffix', EMPTY: undefined };

  it('builds what buildChildEnv builds from the same variables, for each login PATH, secret and request', () => {
    const environments = new ChildEnvironments(inherited);
    const requests = [
      { loginPath: '/login/bin', secrets: [] },
      { loginPath: '/login/bin', secrets: ['ui-token-value'] },
      { loginPath: '/other/bin', secrets: ['ui-token-value'] },
      { loginPath: '/other/bin', secrets: ['ui-token-value'], requested: { PATH: '/custom', API_KEY: 'k' } },
      { loginPath: '/login/bin', secrets: [] },
    ];
    for (const request of requests) expect(environments.build(request)).toEqual(buildChildEnv({ inherited, ...request }));
  });

  it('is the environment the bridge started with: a variable set or removed later changes nothing', () => {
    const name = `CHILD_ENVS_TEST_${process.pid}`;
    process.env[name] = 'at the start';
    try {
      const environments = new ChildEnvironments(process.env);
      process.env[name] = 'changed later';
      expect(environments.build({ loginPath: '/login/bin', secrets: [] })[name]).toBe('at the start');
      delete process.env[name];
      expect(environments.build({ loginPath: '/login/bin', secrets: [] })[name]).toBe('at the start');
    } finally {
      delete process.env[name];
    }
  });

  it('gives each child its own object: what one run does to its environment reaches no other', () => {
    const environments = new ChildEnvironments(inherited);
    const first = environments.build({ loginPath: '/login/bin', secrets: [] });
    first.HOME = '/tampered';
    first.ADDED = 'x';
    expect(environments.build({ loginPath: '/login/bin', secrets: [] })).toEqual({ HOME: '/home/me', PATH: '/login/bin', COPIED_TOKEN: 'prefix-ui-token-value-suffix' });
  });

  it('keeps an inherited variable named like an object key (__proto__) as a variable', () => {
    const environments = new ChildEnvironments(JSON.parse('{"__proto__": "value", "HOME": "/home/me"}') as NodeJS.ProcessEnv);
    const env = environments.build({ loginPath: '/login/bin', secrets: [] });
    expect(Object.getOwnPropertyDescriptor(env, '__proto__')?.value).toBe('value');
    expect(Object.getPrototypeOf(env)).toBe(Object.prototype);
  });
});
