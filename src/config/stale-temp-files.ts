import { readdir, unlink } from 'node:fs/promises';
import path from 'node:path';

/**
 * Removes the temporary files an interrupted atomic write left next to `file`.
 *
 * write-file-atomic writes `<file>.<number>` and renames it over `file`; its exit handler removes
 * the temp file on a normal exit or a catchable signal, but after a SIGKILL or a power loss it
 * stays, and one more would be left at each such crash. Only the bridge writes these files, so
 * at its start any such temp file belongs to a bridge that is gone. Call it only from the
 * bridge's start, never from a command (`status`, `open`) that may run beside a live bridge.
 * Returns the names removed.
 */
export async function removeStaleTempFiles(file: string): Promise<string[]> {
  const dir = path.dirname(file);
  const prefix = `${path.basename(file)}.`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return []; // no directory yet: nothing was ever written
  }
  const stale = names.filter((name) => name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length)));
  const removed: string[] = [];
  for (const name of stale) {
    try {
      await unlink(path.join(dir, name));
      removed.push(name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return removed;
}
