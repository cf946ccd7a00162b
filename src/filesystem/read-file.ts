import { constants } from 'node:fs';
import { open, readlink } from 'node:fs/promises';
import { BridgeError } from '../contract/errors.js';
import { isInside } from './path-policy.js';
import { fsError } from './resolve.js';

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
 */
export async function readFileSafely(real: string, options: { maxBytes: number; within: string; limitName: string }): Promise<ReadResult> {
  const handle = await open(real, READ_FLAGS).catch((error: unknown) => {
    throw fsError(error);
  });
  try {
    await checkDescriptorPath(handle.fd, options.within);
    const info = await handle.stat();
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
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length === buffer.length) break;
    }
    if (length > options.maxBytes) throw tooLarge(length, options.maxBytes, options.limitName);
    return { bytes: buffer.subarray(0, length), size: length, modifiedAt: info.mtime };
  } finally {
    await handle.close();
  }
}

export function tooLarge(size: number, limit: number, limitName: string): BridgeError {
  return new BridgeError('payload_too_large', `The file is ${size} bytes; the limit is ${limit} bytes (${limitName}).`, {
    details: { size, limit, limitName },
  });
}

async function checkDescriptorPath(fd: number, within: string): Promise<void> {
  if (process.platform !== 'linux') return;
  const opened = await readlink(`/proc/self/fd/${fd}`).catch(() => null);
  if (opened !== null && !isInside(opened, within)) {
    throw new BridgeError('path_outside_target', 'The path changed while it was being opened and now leads outside the target.', { details: { reason: 'symlink_changed' } });
  }
}
