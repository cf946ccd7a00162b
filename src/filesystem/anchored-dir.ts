import { constants } from 'node:fs';
import { lstat, mkdir, open, readlink, realpath, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { BridgeError } from '../contract/errors.js';
import { isInside } from './path-policy.js';
import { fsError } from './resolve.js';

/**
 * A directory checked to lie inside `within`, and the names to reach entries in *that* directory.
 *
 * On Linux the directory is held open and entries are named through `/proc/self/fd/<fd>/<name>`:
 * the kernel resolves that magic link to the opened directory itself, so a parent swapped for a
 * symlink after the check cannot redirect a create, rename or link (what `openat` would give,
 * which Node lacks). Elsewhere the real path is checked again just before use, which narrows the
 * window between check and use but cannot close it.
 */
export interface AnchoredDirectory {
  /** A path naming `name` inside the checked directory. */
  entry(name: string): string;
  close(): Promise<void>;
}

const DIRECTORY_FLAGS = constants.O_RDONLY | (constants.O_DIRECTORY ?? 0);

const changed = () =>
  new BridgeError('path_outside_target', 'The path changed while it was being written and now leads outside the target.', { details: { reason: 'symlink_changed' } });

/** Opens `dir` (following links: the result is what is checked) and checks it is inside `within`. */
export async function anchorDirectory(dir: string, within: string, options: { noFollow?: boolean } = {}): Promise<AnchoredDirectory> {
  if (process.platform !== 'linux') return checkedByPath(dir, within);
  const flags = DIRECTORY_FLAGS | (options.noFollow ? constants.O_NOFOLLOW : 0);
  const handle = await open(dir, flags).catch(async (error: NodeJS.ErrnoException) => {
    // O_NOFOLLOW on a symlink fails with ELOOP, or ENOTDIR alongside O_DIRECTORY: say which it was.
    if (options.noFollow && (error.code === 'ELOOP' || error.code === 'ENOTDIR') && (await lstat(dir).catch(() => null))?.isSymbolicLink()) throw changed();
    throw fsError(error);
  });
  const base = `/proc/self/fd/${handle.fd}`;
  const opened = await readlink(base).catch(() => null);
  if (opened === null) {
    // No /proc (a restricted container): fall back to checking by path.
    await handle.close();
    return checkedByPath(dir, within);
  }
  if (!isInside(opened, within)) {
    await handle.close();
    throw changed();
  }
  return anchoredBy(handle, base);
}

function anchoredBy(handle: FileHandle, base: string): AnchoredDirectory {
  return { entry: (name) => `${base}/${name}`, close: () => handle.close() };
}

async function checkedByPath(dir: string, within: string): Promise<AnchoredDirectory> {
  const real = await realpath(dir).catch((error: unknown) => {
    throw fsError(error);
  });
  if (!isInside(real, within)) throw changed();
  return { entry: (name) => path.join(real, name), close: async () => {} };
}

/**
 * Creates `names` one below the other under the existing directory `base`, each inside `within`:
 * every level is created in the directory checked before it and opened without following a
 * symlink, so a racer cannot make it create directories elsewhere.
 */
export async function makeDirectoriesInside(base: string, names: readonly string[], within: string): Promise<void> {
  let current = await anchorDirectory(base, within);
  try {
    for (const name of names) {
      await mkdir(current.entry(name)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw fsError(error);
      });
      const next = await anchorDirectory(current.entry(name), within, { noFollow: true });
      await current.close();
      current = next;
    }
  } finally {
    await current.close();
  }
}
