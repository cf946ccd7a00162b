import { loadExeca } from '../processes/load-execa.js';
import { killProcessTree } from '../processes/kill-tree.js';
import { trackProcess } from '../processes/process-groups.js';

export interface BoundedRunOptions {
  /** Kill the whole process tree after this long. */
  timeoutMs: number;
  /** The complete environment (nothing else is inherited). */
  env?: NodeJS.ProcessEnv;
  /** Output beyond this many bytes per stream is dropped; probes only need their first lines. */
  maxBufferBytes?: number;
  cwd?: string;
}

export interface BoundedRunResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  /** The process could not start (e.g. `ENOENT`), or was killed at the timeout. */
  failure: 'spawn_error' | 'timed_out' | null;
  /** The OS error code of a spawn failure. */
  errorCode?: string;
}

/**
 * Runs a short helper command (a version probe, the login shell) and never waits longer than
 * `timeoutMs`: on timeout the whole tree is killed, because a login shell or a version shim
 * (pyenv, asdf) starts children that would outlive a plain kill of the direct child.
 */
export async function runBounded(command: string, args: readonly string[], options: BoundedRunOptions): Promise<BoundedRunResult> {
  const { execa } = await loadExeca();
  const child = execa(command, args, {
    reject: false,
    stdin: 'ignore',
    env: options.env ?? process.env,
    extendEnv: false,
    maxBuffer: options.maxBufferBytes ?? 64 * 1024,
    windowsHide: true,
    // A login shell with `-i` must not grab the terminal the bridge may have been started from.
    detached: process.platform !== 'win32',
    // Windows cannot run .cmd/.bat shims (npm.cmd, yarn.cmd) without a shell since Node 20.12.
    shell: process.platform === 'win32' && /\.(cmd|bat)$/i.test(command),
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  // A detached helper outlives its parent (execa's own cleanup skips detached children), so a
  // bridge exiting mid-probe (a login shell blocked in `pyenv rehash` can take a minute) must
  // take it along. Windows children are not detached: execa's own cleanup covers them.
  const forget = child.pid === undefined || process.platform === 'win32' ? () => {} : trackProcess(child.pid, 'group');
  let timer: NodeJS.Timeout | undefined;
  // Resolve at the deadline rather than when the killed tree has closed its pipes: a grandchild
  // can hold stdout open a while longer, and the caller's latency must not depend on it.
  const deadline = new Promise<'timed_out'>((resolve) => {
    timer = setTimeout(() => resolve('timed_out'), options.timeoutMs);
  });
  try {
    const result = await Promise.race([child, deadline]);
    if (result !== 'timed_out') forget();
    if (result === 'timed_out') {
      // Its own process group (detached): the whole group goes, grandchildren included.
      if (child.pid !== undefined) void killProcessTree(child.pid, 0).catch(() => {});
      void child.catch(() => {}).finally(forget);
      return { stdout: '', stderr: '', exitCode: null, failure: 'timed_out' };
    }
    const errorCode = (result as { code?: unknown }).code;
    if (result.failed && typeof errorCode === 'string' && result.exitCode === undefined) {
      return { stdout: '', stderr: '', exitCode: null, failure: 'spawn_error', errorCode };
    }
    return { stdout: text(result.stdout), stderr: text(result.stderr), exitCode: result.exitCode ?? null, failure: null };
  } finally {
    clearTimeout(timer);
  }
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');
