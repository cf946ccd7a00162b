import { locateTool, type LocateOptions } from './locate.js';

/** A package manager the bridge looks for, and the executables that reveal it. */
export interface PackageManagerSpec {
  name: string;
  /** Tried in order; the first found is the one reported. */
  executables: readonly string[];
  versionArgs?: readonly string[];
  /** Only looked for on these platforms (`apt` on macOS is a Java tool, not a package manager). */
  platforms?: readonly NodeJS.Platform[];
}

export const PACKAGE_MANAGERS: readonly PackageManagerSpec[] = [
  { name: 'brew', executables: ['brew'], platforms: ['darwin', 'linux'] },
  { name: 'port', executables: ['port'], versionArgs: ['version'], platforms: ['darwin'] },
  { name: 'apt', executables: ['apt-get', 'apt'], platforms: ['linux'] },
  { name: 'dnf', executables: ['dnf'], platforms: ['linux'] },
  { name: 'yum', executables: ['yum'], platforms: ['linux'] },
  { name: 'pacman', executables: ['pacman'], platforms: ['linux'] },
  { name: 'zypper', executables: ['zypper'], platforms: ['linux'] },
  { name: 'apk', executables: ['apk'], platforms: ['linux'] },
  { name: 'nix', executables: ['nix'], platforms: ['linux', 'darwin'] },
  { name: 'snap', executables: ['snap'], platforms: ['linux'] },
  { name: 'flatpak', executables: ['flatpak'], platforms: ['linux'] },
  { name: 'winget', executables: ['winget'], platforms: ['win32'] },
  { name: 'choco', executables: ['choco'], platforms: ['win32'] },
  { name: 'scoop', executables: ['scoop'], platforms: ['win32'] },
  { name: 'npm', executables: ['npm'] },
  { name: 'pnpm', executables: ['pnpm'] },
  { name: 'yarn', executables: ['yarn'] },
  { name: 'bun', executables: ['bun'] },
  { name: 'pip', executables: ['pip3', 'pip'] },
  { name: 'pipx', executables: ['pipx'] },
  { name: 'uv', executables: ['uv'] },
  { name: 'cargo', executables: ['cargo'] },
  { name: 'go', executables: ['go'], versionArgs: ['version'] },
  { name: 'gem', executables: ['gem'] },
  { name: 'conda', executables: ['conda'] },
];

export interface DetectedPackageManager {
  name: string;
  version: string | null;
  path: string;
}

/** The package managers present, in catalogue order, each probed concurrently with `timeoutMs`. */
export async function detectPackageManagers(
  options: Omit<LocateOptions, 'versionArgs'> & { platform?: NodeJS.Platform; specs?: readonly PackageManagerSpec[] },
): Promise<DetectedPackageManager[]> {
  const platform = options.platform ?? process.platform;
  const specs = (options.specs ?? PACKAGE_MANAGERS).filter((spec) => !spec.platforms || spec.platforms.includes(platform));
  const found = await Promise.all(specs.map((spec) => detectOne(spec, options)));
  return found.filter((pm): pm is DetectedPackageManager => pm !== null);
}

async function detectOne(spec: PackageManagerSpec, options: Omit<LocateOptions, 'versionArgs'>): Promise<DetectedPackageManager | null> {
  for (const executable of spec.executables) {
    const location = await locateTool(executable, { ...options, ...(spec.versionArgs ? { versionArgs: spec.versionArgs } : {}) });
    if (location.installed && location.path) return { name: spec.name, version: location.version, path: location.path };
  }
  return null;
}
