import envPaths from 'env-paths';
import path from 'node:path';

/** Where the bridge keeps its config and data; `OSLOOP_BRIDGE_HOME` puts both in one folder. */
export interface BridgePaths {
  configDir: string;
  dataDir: string;
  configFile: string;
  uiTokenFile: string;
  databaseFile: string;
  pidFile: string;
}

export function resolvePaths(env: NodeJS.ProcessEnv = process.env): BridgePaths {
  const home = env.OSLOOP_BRIDGE_HOME;
  const base = home ? { config: home, data: home } : envPaths('osloop-bridge', { suffix: '' });
  return {
    configDir: base.config,
    dataDir: base.data,
    configFile: path.join(base.config, 'config.json'),
    uiTokenFile: path.join(base.data, 'ui-token'),
    databaseFile: path.join(base.data, 'bridge.db'),
    pidFile: path.join(base.data, 'bridge.pid'),
  };
}
