import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { BridgePaths } from '../../config/paths.js';

/** Unix socket paths are limited to about 104 bytes (macOS) / 108 (Linux). */
const MAX_SOCKET_PATH = 100;

/**
 * Where a bridge listens for local control requests: a Unix socket in its data directory (owner
 * only), or a named pipe on Windows. One per data directory, so the CLI finds the bridge of the
 * same home without knowing its port.
 */
export function controlSocketPath(paths: Pick<BridgePaths, 'dataDir'>, platform: NodeJS.Platform = process.platform): string {
  const hash = createHash('sha256').update(path.resolve(paths.dataDir)).digest('hex').slice(0, 16);
  if (platform === 'win32') return `\\\\.\\pipe\\osloop-bridge-${hash}`;
  const inDataDir = path.join(paths.dataDir, 'control.sock');
  return inDataDir.length <= MAX_SOCKET_PATH ? inDataDir : path.join(os.tmpdir(), `osloop-bridge-${hash}.sock`);
}
