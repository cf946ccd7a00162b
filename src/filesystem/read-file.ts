import { closeSync, constants, fstatSync, openSync, readlinkSync, readSync } from 'node:fs';
import { BridgeError } from '../contract/errors.js';
import { isInside } from './path-policy.js';
import { fsError, withFsErrors } from './resolve.js';

export interface ReadResult {
  bytes: Buffer;
  size: number;
  modifiedAt: Date;
}

// O_NOFOLLOW: the path was resolved already; a symlink appearing at its end since is refused.
// O_NONBLOCK: opening a FIFO would otherwise wait for a writer forever.
const READ_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/**
 * Reads a regular file at an already resolved real path, refusing more than `maxBytes`.
 * On Linux the opened descriptor's own path is checked against `within` again, which closes the
 * window between resolving the path and opening it (a parent swapped for a symlink meanwhile).
 * Synchronous: it runs in the filesystem worker (filesystem-pool.ts), never on the event loop.
 */
export function readFileSafely(real: string, options: { maxBytes: number; within: string; limitName: string }): ReadResult {
  const fd = withFsErrors(() => openSync(real, READ_FLAGS));
  try {
    checkDescriptorPath(fd, options.within);
    const info = fstatSync(fd);
    if (!info.isFile()) {
      throw new BridgeError('invalid_request', info.isDirectory() ? 'The path is a directory.' : 'The path is not a regular file.', {
        details: { reason: info.isDirectory() ? 'is_directory' : 'not_regular_file' },
      });
    }
    if (info.size > options.maxBytes) throw tooLarge(info.size, options.maxBytes, options.limitName);
    // Read one byte more than allowed, so a file that grew since fstat is noticed.
    const buffer = Buffer.alloc(Math.min(info.size, options.maxBytes) + 1);
    let length = 0;
    for (;;) {
      const bytesRead = readSync(fd, buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length === buffer.length) break;
    }
    if (length > options.maxBytes) throw tooLarge(length, options.maxBytes, options.limitName);
    return { bytes: buffer.subarray(0, length), size: length, modifiedAt: info.mtime };
  } catch (error) {
    throw fsError(error);
  } finally {
    closeSync(fd);
  }
}

export function tooLarge(size: number, limit: number, limitName: string): BridgeError {
  return new BridgeError('payload_too_large', `The file is ${size} bytes; the limit is ${limit} bytes (${limitName}).`, {
    details: { size, limit, limitName },
  });
}

function checkDescriptorPath(fd: number, within: string): void {
  if (process.platform !== 'linux') return;
  let opened: string | null;
  try {
    opened = readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    opened = null;
  }
  if (opened !== null && !isInside(opened, within)) {
    throw new BridgeError('path_outside_target', 'The path changed while it was being opened and now leads outside the target.', { details: { reason: 'symlink_changed' } });
  }
}
