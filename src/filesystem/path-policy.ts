import path from 'node:path';
import { BridgeError } from '../contract/errors.js';

/** Why a path is refused before the filesystem is even asked; `details.reason` of the error. */
export type LexicalRefusal = 'nul_byte' | 'not_absolute' | 'dot_dot_segment' | 'device_name' | 'device_namespace' | 'alternate_data_stream';

/** Most bytes of one path segment on the filesystems the bridge runs on. */
export const MAX_SEGMENT_BYTES = 255;

// Windows reserves these names in every directory, with any extension (`nul.txt`, `COM1.log`)
// and trailing dots or spaces. Refused on every platform: a path valid here may be synced or
// opened on Windows, and no web app has a reason to use them.
const DEVICE_NAMES = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$|clock\$)$/i;

/**
 * The checks that need no filesystem: absolute, no NUL, no `..` segment, no device name, no
 * over-long segment. Returns the normalised path. `..` is refused even when it would stay
 * inside a target, so that no request depends on how a path normalises.
 */
export function checkLexically(requested: string, platform: NodeJS.Platform = process.platform): string {
  const api = platform === 'win32' ? path.win32 : path.posix;
  const refuse = (reason: LexicalRefusal, message: string) => new BridgeError('path_outside_target', message, { details: { reason } });
  if (requested.includes('\0')) throw refuse('nul_byte', 'The path contains a NUL byte.');
  if (platform === 'win32' && /^[\\/]{2}[?.][\\/]/.test(requested)) throw refuse('device_namespace', 'Paths in the \\\\?\\ and \\\\.\\ namespaces are not allowed.');
  if (!api.isAbsolute(requested)) throw refuse('not_absolute', 'The path must be absolute (inside a target listed by /api/v1/filesystem/targets).');
  const segments = requested.split(platform === 'win32' ? /[\\/]+/ : /\/+/).filter((segment) => segment !== '');
  for (const [index, segment] of segments.entries()) {
    if (segment === '..') throw refuse('dot_dot_segment', 'The path contains a ".." segment.');
    if (platform === 'win32' && index === 0 && /^[A-Za-z]:$/.test(segment)) continue;
    if (isDeviceName(segment)) throw refuse('device_name', `"${segment}" is a reserved device name.`);
    if (platform === 'win32' && segment.includes(':')) throw refuse('alternate_data_stream', `"${segment}" names an alternate data stream.`);
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) {
      throw new BridgeError('invalid_request', `A path segment is longer than ${MAX_SEGMENT_BYTES} bytes.`, { details: { reason: 'name_too_long' } });
    }
  }
  return api.resolve(requested);
}

/** `CON`, `nul.txt`, `com1 .log`…: a Windows device name whatever follows it. */
export function isDeviceName(segment: string): boolean {
  const base = segment.split('.')[0]!.replace(/[ .]+$/, '').replace(/:$/, '');
  return DEVICE_NAMES.test(base);
}

/** Whether `child` is `parent` or lies under it (both real, normalised paths). */
export function isInside(child: string, parent: string, platform: NodeJS.Platform = process.platform): boolean {
  const api = platform === 'win32' ? path.win32 : path.posix;
  // Windows and (by default) macOS compare names case-insensitively.
  const fold = platform === 'win32' || platform === 'darwin' ? (p: string) => p.toLowerCase() : (p: string) => p;
  const relative = api.relative(fold(parent), fold(child));
  return relative === '' || (!relative.startsWith(`..${api.sep}`) && relative !== '..' && !api.isAbsolute(relative));
}
