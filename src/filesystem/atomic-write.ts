import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fsyncSync, linkSync, lstatSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { BridgeError } from '../contract/errors.js';
import { anchorDirectory, type AnchoredDirectory } from './anchored-dir.js';
import { fsError, withFsErrors } from './resolve.js';

export interface AtomicWriteResult {
  /** The file did not exist before. */
  created: boolean;
}

const TEMP_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

/**
 * Writes `data` to `file` so that a reader sees the old content or the new one, never a part:
 * the bytes go to a fresh temporary file in the same directory, are flushed, and the temporary
 * file then *becomes* the file. With `overwrite` that is a `rename` (which replaces a symlink
 * at the name rather than following it); without, a `link`, which fails if the name exists — so
 * "do not overwrite" holds even against a file created a moment ago.
 *
 * Why not write-file-atomic (used for the config file): it re-resolves the name with realpath
 * when it writes, which would follow a symlink planted after the target check, and it has no
 * way to refuse an existing file atomically.
 *
 * Synchronous: it runs in the filesystem worker (filesystem-pool.ts), never on the event loop.
 */
export function writeFileAtomically(file: string, data: Uint8Array, options: { overwrite: boolean; within?: string }): AtomicWriteResult {
  // Every step names entries in the parent *as checked*: a parent swapped for a symlink meanwhile
  // cannot send the temporary file, the rename or the link outside `within` (see anchorDirectory).
  const parent = anchorDirectory(path.dirname(file), options.within ?? path.dirname(file));
  try {
    return writeInto(parent, path.basename(file), data, options);
  } finally {
    parent.close();
  }
}

function writeInto(parent: AnchoredDirectory, name: string, data: Uint8Array, options: { overwrite: boolean }): AtomicWriteResult {
  const file = parent.entry(name);
  let before: ReturnType<typeof lstatSync> | null;
  try {
    before = lstatSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fsError(error);
    before = null;
  }
  if (before && !options.overwrite) throw exists();
  if (before && !before.isFile()) {
    throw new BridgeError('invalid_request', before.isDirectory() ? 'The path is a directory.' : 'The path is not a regular file.', {
      details: { reason: before.isDirectory() ? 'is_directory' : 'not_regular_file' },
    });
  }
  // Keep the permissions of the file being replaced; a new file gets 0666 minus the umask.
  const mode = before ? before.mode & 0o7777 : 0o666;
  const temp = parent.entry(`.${name.slice(0, 100)}.${randomBytes(6).toString('hex')}.osloop-tmp`);
  const fd = withFsErrors(() => openSync(temp, TEMP_FLAGS, mode));
  let published = false;
  try {
    try {
      if (before) fchmodSync(fd, mode);
      for (let written = 0; written < data.length; ) written += writeSync(fd, data, written, data.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (options.overwrite) {
      renameSync(temp, file);
      published = true;
      return { created: !before };
    }
    try {
      linkSync(temp, file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw exists();
      if (!NO_HARD_LINKS.has(code ?? '')) throw error;
      // FAT, exFAT and some network filesystems have no hard links: claim the name with an
      // exclusive create (still refusing an existing file), then rename over the empty claim.
      let claim: number;
      try {
        claim = openSync(file, 'wx', mode);
      } catch (claimError) {
        throw (claimError as NodeJS.ErrnoException).code === 'EEXIST' ? exists() : claimError;
      }
      closeSync(claim);
      renameSync(temp, file);
      published = true;
    }
    return { created: true };
  } catch (error) {
    throw fsError(error);
  } finally {
    if (!published) removeQuietly(temp);
  }
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Already gone, or its directory was: nothing left to clean.
  }
}

const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

const exists = () =>
  new BridgeError('conflict', 'The file already exists; send "overwrite": true to replace it.', { details: { reason: 'exists' } });
