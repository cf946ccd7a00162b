import { closeSync, constants, lstatSync, mkdirSync, openSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { BridgeError } from '../contract/errors.js';
import { isInside } from './path-policy.js';
import { fsError, withFsErrors } from './resolve.js';

/**
 * A directory checked to lie inside `within`, and the names to reach entries in *that* directory.
 *
 * On Linux the directory is held open and entries are named through `/proc/self/fd/<fd>/<name>`:
 * the kernel resolves that magic link to the opened directory itself, so a parent swapped for a
 * symlink after the check cannot redirect a create, rename or link (what `openat` would give,
 * which Node lacks). Elsewhere the real path is checked again just before use, which narrows the
 * window between check and use but cannot close it. Synchronous: it runs in the filesystem worker
 * (filesystem-pool.ts), never on the event loop.
 */
export interface AnchoredDirectory {
  /** A path naming `name` inside the checked directory. */
  entry(name: string): string;
  close(): void;
}

const DIRECTORY_FLAGS = constants.O_RDONLY | (constants.O_DIRECTORY ?? 0);

const changed = () =>
  new BridgeError('path_outside_target', 'The path changed while it was being written and now leads outside the target.', { details: { reason: 'symlink_changed' } });

/** Opens `dir` (following links: the result is what is checked) and checks it is inside `within`. */
export function anchorDirectory(dir: string, within: string, options: { noFollow?: boolean } = {}): AnchoredDirectory {
  if (process.platform !== 'linux') return checkedByPath(dir, within);
  const flags = DIRECTORY_FLAGS | (options.noFollow ? constants.O_NOFOLLOW : 0);
  let fd: number;
  try {
    fd = openSync(dir, flags);
  } catch (error) {
    // O_NOFOLLOW on a symlink fails with ELOOP, or ENOTDIR alongside O_DIRECTORY: say which it was.
    const code = (error as NodeJS.ErrnoException).code;
    if (options.noFollow && (code === 'ELOOP' || code === 'ENOTDIR') && isSymbolicLink(dir)) throw changed();
    throw fsError(error);
  }
  const base = `/proc/self/fd/${fd}`;
  let opened: string | null;
  try {
    opened = readlinkSync(base);
  } catch {
    opened = null;
  }
  if (opened === null) {
    // No /proc (a restricted container): fall back to checking by path.
    closeSync(fd);
    return checkedByPath(dir, within);
  }
  if (!isInside(opened, within)) {
    closeSync(fd);
    throw changed();
  }
  return { entry: (name) => `${base}/${name}`, close: () => closeSync(fd) };
}

function isSymbolicLink(file: string): boolean {
  try {
    return lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

function checkedByPath(dir: string, within: string): AnchoredDirectory {
  const real = withFsErrors(() => realpathSync.native(dir));
  if (!isInside(real, within)) throw changed();
  return { entry: (name) => path.join(real, name), close: () => {} };
}

/**
 * Creates `names` one below the other under the existing directory `base`, each inside `within`:
 * every level is created in the directory checked before it and opened without following a
 * symlink, so a racer cannot make it create directories elsewhere.
 */
export function makeDirectoriesInside(base: string, names: readonly string[], within: string): void {
  let current = anchorDirectory(base, within);
  try {
    for (const name of names) {
      try {
        mkdirSync(current.entry(name));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw fsError(error);
      }
      const next = anchorDirectory(current.entry(name), within, { noFollow: true });
      current.close();
      current = next;
    }
  } finally {
    current.close();
  }
}
