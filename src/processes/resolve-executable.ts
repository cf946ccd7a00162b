import path from 'node:path';
import which from 'which';

/**
 * Where `command` would be executed from: a path (absolute, or relative to `cwd`) as given, a bare
 * name looked up on `searchPath` (with PATHEXT on Windows). Null when nothing executable is found.
 */
export async function resolveExecutable(command: string, options: { searchPath: string; cwd: string }): Promise<string | null> {
  if (command.includes('/') || (process.platform === 'win32' && command.includes('\\'))) {
    return path.resolve(options.cwd, command);
  }
  return which(command, { path: options.searchPath, nothrow: true });
}
