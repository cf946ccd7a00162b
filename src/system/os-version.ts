import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { runBounded } from './bounded-run.js';

/**
 * A human name and version of the operating system: the distribution on Linux
 * (`/etc/os-release`), the product version on macOS (`sw_vers`), the build on Windows.
 */
export async function detectOsVersion(options: { platform?: NodeJS.Platform; timeoutMs: number; osReleaseFile?: string }): Promise<string> {
  const platform = options.platform ?? process.platform;
  const generic = `${os.type()} ${os.release()}`;
  if (platform === 'linux') {
    const text = await readFile(options.osReleaseFile ?? '/etc/os-release', 'utf8').catch(() => null);
    return (text && osReleaseName(text)) ?? generic;
  }
  if (platform === 'darwin') {
    const result = await runBounded('sw_vers', ['-productVersion'], { timeoutMs: options.timeoutMs });
    const version = result.failure ? '' : result.stdout.trim();
    return version ? `macOS ${version}` : generic;
  }
  if (platform === 'win32') return `Windows ${os.release()}`;
  return generic;
}

/** `PRETTY_NAME`, else `NAME VERSION_ID`, from an os-release file. */
export function osReleaseName(text: string): string | null {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match) fields.set(match[1]!, match[2]!.replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1'));
  }
  const pretty = fields.get('PRETTY_NAME');
  if (pretty) return pretty;
  const name = fields.get('NAME');
  if (!name) return null;
  const version = fields.get('VERSION_ID');
  return version ? `${name} ${version}` : name;
}
