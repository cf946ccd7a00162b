import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { BridgeError } from '../contract/errors.js';
import { checkLexically } from './path-policy.js';

/**
 * Checks what a picker answered (the bridge UI, or a dialog) and returns the real paths: each
 * absolute, existing, of the kind asked, and exactly one unless `multiple`.
 */
export async function checkPickedPaths(paths: readonly string[], request: { kind: 'file' | 'directory'; multiple: boolean }): Promise<string[]> {
  const invalid = (message: string, details: Record<string, unknown> = {}) => new BridgeError('invalid_request', message, { details });
  if (paths.length === 0) throw invalid('No path was picked.');
  if (!request.multiple && paths.length > 1) throw invalid(`The picker asked for one ${request.kind}; got ${paths.length} paths.`);
  const reals: string[] = [];
  for (const picked of paths) {
    try {
      checkLexically(picked);
    } catch (error) {
      throw invalid(`"${picked}" is not a usable path: ${(error as Error).message}`, { path: picked });
    }
    const real = await realpath(picked).catch(() => null);
    if (!real) throw invalid(`"${picked}" does not exist.`, { path: picked });
    const info = await stat(real);
    if (request.kind === 'directory' ? !info.isDirectory() : !info.isFile()) {
      throw invalid(`"${picked}" is not a ${request.kind === 'directory' ? 'directory' : 'regular file'}.`, { path: picked });
    }
    if (!reals.includes(real)) reals.push(real);
  }
  return reals.map((real) => path.normalize(real));
}
