import { lstatSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { BridgeError } from '../contract/errors.js';
import type { Target } from '../contract/routes/filesystem.js';
import { checkLexically, isInside } from './path-policy.js';

/** A requested path, resolved on the real filesystem to a place inside one target. */
export interface ResolvedPath {
  /** The real path: every symlink of the existing part resolved, the missing part appended. */
  real: string;
  target: Target;
  /** The path exists (as the real path). */
  exists: boolean;
  /** Names below the deepest existing directory that do not exist yet (the last is the file). */
  missing: string[];
}

const outside = (reason: string, message: string) => new BridgeError('path_outside_target', message, { details: { reason } });

/**
 * Resolves `requested` on the real filesystem and finds the target it lies in. Symlinks are
 * followed wherever they are (a parent, the file itself) and the *result* must be inside a
 * target: a link pointing out is refused, a dangling one too (writing through it would create
 * its destination, wherever that is). Writing needs a read-write target.
 *
 * Synchronous, as every step of the filesystem operations: they run whole in a worker thread
 * (filesystem-pool.ts), one job per request, instead of one event-loop turn per system call.
 */
export function resolveInTargets(requested: string, targets: readonly Target[], mode: 'read' | 'write'): ResolvedPath {
  const normal = checkLexically(requested);
  const { existing, missing } = deepestExisting(normal);
  let realExisting: string;
  try {
    // The native realpath(3), as fs.promises.realpath is: one system call walk, no JS cache.
    realExisting = realpathSync.native(existing);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw outside('dangling_symlink', 'The path goes through a symbolic link whose destination does not exist.');
    if (code === 'ELOOP') throw outside('symlink_loop', 'The path goes through a loop of symbolic links.');
    throw fsError(error);
  }
  // The directory may be renamed away right after realpath: that is a refusal, not a crash.
  const existingInfo = missing.length === 0 ? null : withFsErrors(() => lstatSync(realExisting));
  if (existingInfo && !existingInfo.isDirectory()) {
    throw new BridgeError('invalid_request', 'A parent of the path is not a directory.', { details: { reason: 'parent_not_directory' } });
  }
  const real = missing.length > 0 ? path.join(realExisting, ...missing) : realExisting;
  const target = containingTarget(real, targets);
  if (!target) {
    const lexically = containingTarget(normal, targets);
    if (lexically) throw outside('symlink_escape', 'The path is inside a target but a symbolic link on it points outside every target.');
    throw outside('outside_targets', 'The path is outside every target (see /api/v1/filesystem/targets).');
  }
  if (mode === 'write' && target.access !== 'read-write') {
    throw new BridgeError('read_only_target', `The target ${target.path} is read-only.`, { details: { targetId: target.targetId } });
  }
  return { real, target, exists: missing.length === 0, missing };
}

/** The most specific target holding `real`: the deepest directory, or a file target itself. */
export function containingTarget(real: string, targets: readonly Target[]): Target | undefined {
  let best: Target | undefined;
  for (const target of targets) {
    const holds = target.kind === 'file' ? isInside(real, target.path) && isInside(target.path, real) : isInside(real, target.path);
    if (!holds) continue;
    if (!best || target.path.length > best.path.length || (target.path.length === best.path.length && target.access === 'read-write')) best = target;
  }
  return best;
}

/** Walks up from `full` to the deepest entry that exists (a dangling link counts: it exists). */
function deepestExisting(full: string): { existing: string; missing: string[] } {
  const missing: string[] = [];
  let current = full;
  for (;;) {
    try {
      lstatSync(current);
      return { existing: current, missing };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR') throw new BridgeError('invalid_request', 'A parent of the path is not a directory.', { details: { reason: 'parent_not_directory' } });
      if (code !== 'ENOENT') throw fsError(error);
      const parent = path.dirname(current);
      if (parent === current) return { existing: current, missing };
      missing.unshift(path.basename(current));
      current = parent;
    }
  }
}

/** `f()`, with an OS error it throws turned into a structured reply (fsError). */
export function withFsErrors<T>(f: () => T): T {
  try {
    return f();
  } catch (error) {
    throw fsError(error);
  }
}

/** An OS error as a structured reply: the request's fault or the machine's, never a 500. */
export function fsError(error: unknown): BridgeError {
  if (error instanceof BridgeError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? 'UNKNOWN';
  switch (code) {
    case 'ENOENT':
      return new BridgeError('not_found', 'No such file or directory.', { details: { reason: code } });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new BridgeError('forbidden', 'The operating system denied access to this path.', { details: { reason: code } });
    case 'EISDIR':
      return new BridgeError('invalid_request', 'The path is a directory.', { details: { reason: code } });
    case 'ENOTDIR':
      return new BridgeError('invalid_request', 'A parent of the path is not a directory.', { details: { reason: 'parent_not_directory' } });
    case 'ENAMETOOLONG':
      return new BridgeError('invalid_request', 'The path is too long for this filesystem.', { details: { reason: 'name_too_long' } });
    case 'ELOOP':
      return outside('symlink_changed', 'A symbolic link appeared on the path while it was being used.');
    default:
      return new BridgeError('upstream_error', `The filesystem failed (${code}).`, { details: { reason: code }, cause: error });
  }
}
