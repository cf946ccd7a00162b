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
});
