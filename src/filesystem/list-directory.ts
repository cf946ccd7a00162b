import { readdirSync, realpathSync, statSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { BridgeError } from '../contract/errors.js';
import type { Target } from '../contract/routes/filesystem.js';
import { anchorDirectory } from './anchored-dir.js';
import { containingTarget, resolveInTargets, withFsErrors } from './resolve.js';

export interface DirectoryEntry {
  name: string;
  type: 'file' | 'directory';
  /** The entry's absolute path, as a later read or list would be asked for it. */
  path: string;
}

export interface DirectoryListing {
  /** The real path listed. */
  path: string;
  entries: DirectoryEntry[];
  /** Entries left out: symlinks leading outside every target (or nowhere), sockets, FIFOs, devices. */
  skipped: number;
  /** More entries than `limit` were listable; the first `limit` by name are returned. */
  truncated: boolean;
}

/**
 * Lists a directory inside a target under the rules of a read: the path is resolved on the real
 * filesystem and must lie in a target, and the directory is read through a descriptor checked to
 * be inside it (a parent swapped for a symlink after the check cannot redirect the listing). An
 * entry that is a symlink is shown as what it points to only when a read of it would be allowed,
 * that is when its destination lies inside a target; otherwise it is left out, so a listing never
 * tells what lies outside the targets. Synchronous: it runs in the filesystem worker
 * (filesystem-pool.ts), never on the event loop.
 */
export function listDirectory(requested: string, targets: readonly Target[], options: { limit: number }): DirectoryListing {
  const resolved = resolveInTargets(requested, targets, 'read');
  if (!resolved.exists) throw new BridgeError('not_found', 'No such directory.', { details: { path: resolved.real } });
  const info = withFsErrors(() => statSync(resolved.real));
  if (!info.isDirectory()) throw new BridgeError('invalid_request', 'The path is not a directory.', { details: { reason: 'not_directory' } });

  const anchored = anchorDirectory(resolved.real, resolved.target.path);
  try {
    const dirents = withFsErrors(() => readdirSync(anchored.entry('.'), { withFileTypes: true }));
    const listed: DirectoryEntry[] = [];
    let skipped = 0;
    for (const dirent of dirents) {
      const type = entryType(dirent, anchored.entry(dirent.name), targets);
      if (type === null) skipped++;
      else listed.push({ name: dirent.name, type, path: path.join(resolved.real, dirent.name) });
    }
    listed.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { path: resolved.real, entries: listed.slice(0, options.limit), skipped, truncated: listed.length > options.limit };
  } finally {
    anchored.close();
  }
}

/** What a read would meet at the entry: a file, a directory, or nothing it may see (null). */
function entryType(dirent: Dirent, anchoredPath: string, targets: readonly Target[]): DirectoryEntry['type'] | null {
  if (dirent.isFile()) return 'file';
  if (dirent.isDirectory()) return 'directory';
  if (!dirent.isSymbolicLink()) return null;
  // Resolved through the checked descriptor: the destination is judged where it really is.
  const destination = quietly(() => realpathSync.native(anchoredPath));
  if (destination === null || !containingTarget(destination, targets)) return null;
  const info = quietly(() => statSync(destination));
  if (info?.isFile()) return 'file';
  if (info?.isDirectory()) return 'directory';
  return null;
}

/** `f()`, or null when it throws (an entry gone or unreadable meanwhile is left out). */
function quietly<T>(f: () => T): T | null {
  try {
    return f();
  } catch {
    return null;
  }
}
