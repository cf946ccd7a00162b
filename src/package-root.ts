import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder holding this package's package.json, bin/ and ui/. Found by walking up rather than
 * by a fixed `../..`, because the same module runs from src/ (tests, tsx) and from dist/src/ (the
 * compiled package a user installs), one level deeper.
 */
function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const PACKAGE_ROOT = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));

/** A path inside the package (`packagePath('ui', 'resources')`). */
export function packagePath(...segments: string[]): string {
  return path.join(PACKAGE_ROOT, ...segments);
}

/** The CLI entry a user runs, for commands that re-launch it (protocol handler, desktop mode). */
export const CLI_BIN = packagePath('bin', 'osloop-bridge.js');
