import os from 'node:os';
import type { AppPlatform, SystemInfo, ToolStatus } from '../contract/routes/system.js';
import type { KnownTool } from './known-tools.js';
import { locateTool } from './locate.js';
import { withLoginPath, type LoginPath } from '../processes/login-path.js';
import { detectOsVersion } from './os-version.js';
import { detectPackageManagers } from './package-managers.js';

export interface DetectionDeps {
  loginPath: () => Promise<LoginPath>;
  /** Per-probe limit; every probe runs concurrently, so detection takes about this long at most. */
  probeTimeoutMs: number;
  now: () => number;
  env?: NodeJS.ProcessEnv;
}

/** OS, shell, Node and package managers, probed concurrently with short timeouts. */
export async function detectSystemInfo(deps: DetectionDeps): Promise<SystemInfo> {
  const loginPath = await deps.loginPath();
  const env = withLoginPath(deps.env ?? process.env, loginPath);
  const [osVersion, packageManagers] = await Promise.all([
    detectOsVersion({ timeoutMs: deps.probeTimeoutMs }),
    detectPackageManagers({ searchPath: loginPath.path, env, timeoutMs: deps.probeTimeoutMs, deadline: Date.now() + deps.probeTimeoutMs }),
  ]);
  return {
    platform: appPlatform(process.platform),
    os: process.platform,
    osVersion,
    arch: process.arch,
    shell: loginPath.shell,
    home: os.homedir(),
    nodeVersion: process.version,
    packageManagers,
    pathSource: loginPath.source,
    detectedAt: new Date(deps.now()).toISOString(),
  };
}

/** The web app's name for a Node platform: the BSDs and other Unix-likes count as linux. */
export function appPlatform(platform: NodeJS.Platform): AppPlatform {
  if (platform === 'darwin') return 'macos';
  if (platform === 'win32') return 'windows';
  return 'linux';
}

/** Each known tool located on the login-shell PATH, concurrently. */
export async function detectTools(tools: readonly KnownTool[], deps: DetectionDeps): Promise<Array<ToolStatus & { hasRecipe: boolean }>> {
  const loginPath = await deps.loginPath();
  const env = withLoginPath(deps.env ?? process.env, loginPath);
  const deadline = Date.now() + deps.probeTimeoutMs;
  return Promise.all(
    tools.map(async (tool) => {
      const found = await locateTool(tool.binary, { searchPath: loginPath.path, env, timeoutMs: deps.probeTimeoutMs, deadline });
      return { name: tool.name, installed: found.installed, path: found.path, version: found.version, hasRecipe: tool.hasRecipe };
    }),
  );
}
