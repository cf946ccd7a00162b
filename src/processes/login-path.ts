import { loadExeca } from './load-execa.js';
import os from 'node:os';
import path from 'node:path';
import { killProcessTree } from './kill-tree.js';
import { trackProcess } from './process-groups.js';

/** The PATH commands are resolved on, and where it came from. */
export interface LoginPath {
  /** Login-shell entries first, then any of the bridge's own not already there. */
  path: string;
  /** `login-shell`: read from the user's login shell. `process`: the bridge's own PATH (see `reason`). */
  source: 'login-shell' | 'process';
  /** The login shell asked, when there is one. */
  shell: string | null;
  /** Why the bridge's own PATH is used. */
  reason?: string;
}

export interface LoginPathOptions {
  /** Default: `$SHELL`, else the shell of the user's account; null for none. */
  shell?: string | null;
  /** The environment the shell starts with; its PATH is the fallback. Default: the bridge's. */
  env?: NodeJS.ProcessEnv;
  /** Overrides the fallback PATH (default: `env.PATH`). */
  inheritedPath?: string;
  platform?: NodeJS.Platform;
  /** Default 5000 ms: rc files that load nvm, pyenv or conda can take seconds. */
  timeoutMs?: number;
  /** Aborts the shell (the bridge is stopping); the fallback is returned. */
  signal?: AbortSignal;
}

export const DEFAULT_LOGIN_SHELL_TIMEOUT_MS = 5_000;
/** @deprecated name kept for callers written before the merge; same value. */
export const LOGIN_SHELL_TIMEOUT_MS = DEFAULT_LOGIN_SHELL_TIMEOUT_MS;

const BEGIN = '__OSLOOP_ENV_BEGIN__';
const END = '__OSLOOP_ENV_END__';
// `env` prints PATH colon-joined in every shell (fish keeps a list internally but exports it
// joined); the markers cut away whatever the rc files print. `echo` and `;` work in sh, bash, zsh, fish.
const SCRIPT = `echo ${BEGIN}; env; echo ${END}`;

/** The user's login shell: `$SHELL`, else the account's shell; none on Windows. */
export function userLoginShell(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string | null {
  if (platform === 'win32') return null;
  if (env.SHELL) return env.SHELL;
  try {
    return os.userInfo().shell || null;
  } catch {
    return null;
  }
}

/**
 * Reads PATH as the user's interactive login shell sets it. A bridge started from a desktop
 * launcher inherits a minimal PATH in which `npx`, nvm's `node` or `brew` are missing; the login
 * shell's PATH is what the user's terminal would use.
 *
 * The answer is taken as soon as the closing marker is printed, and the shell's whole process
 * group is then killed: interactive shells with job control or background jobs in their rc files
 * (seen: bash with pyenv) print their PATH and then never exit. Falls back to the bridge's own
 * PATH when there is no shell, it fails, or it is slower than `timeoutMs`.
 */
export async function readLoginPath(options: LoginPathOptions = {}): Promise<LoginPath> {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const own = options.inheritedPath ?? env.PATH ?? env.Path ?? '';
  const shell = options.shell === undefined ? userLoginShell(env, platform) : options.shell;
  const timeoutMs = options.timeoutMs ?? DEFAULT_LOGIN_SHELL_TIMEOUT_MS;
  const fallback = (reason: string): LoginPath => ({ path: mergePaths(own, ''), source: 'process', shell, reason });
  if (platform === 'win32') return fallback('Windows has no login shell; its PATH comes from the registry');
  if (!shell) return fallback('no login shell is known');

  const answer = await askShell(shell, { ...env, TERM: 'dumb' }, timeoutMs, options.signal);
  if (answer.kind === 'timed_out') return fallback(`the login shell ${shell} did not answer within ${timeoutMs} ms`);
  if (answer.kind === 'aborted') return fallback('the bridge is stopping');
  if (answer.kind === 'spawn_error') return fallback(`the login shell ${shell} could not start (${answer.code})`);
  const fromShell = pathFromEnvDump(answer.stdout);
  if (!fromShell) return fallback(`the login shell ${shell} printed no PATH (exit code ${answer.exitCode ?? 'none'})`);
  return { path: mergePaths(fromShell, own), source: 'login-shell', shell };
}

/** The login PATH as a plain string (what command runs need). */
export async function resolveLoginPath(options: LoginPathOptions = {}): Promise<string> {
  return (await readLoginPath(options)).path;
}

let cached: Promise<LoginPath> | undefined;

/** The login-shell PATH, read once per process and cached; `timeoutMs` bounds the first read. */
export function getLoginPath(options: Pick<LoginPathOptions, 'timeoutMs'> = {}): Promise<LoginPath> {
  cached ??= readLoginPath(options);
  return cached;
}

type ShellAnswer =
  | { kind: 'printed'; stdout: string; exitCode: number | null }
  | { kind: 'timed_out' }
  | { kind: 'aborted' }
  | { kind: 'spawn_error'; code: string };

async function askShell(shell: string, env: NodeJS.ProcessEnv, timeoutMs: number, signal?: AbortSignal): Promise<ShellAnswer> {
  const { execa } = await loadExeca();
  const child = execa(shell, ['-ilc', SCRIPT], {
    reject: false,
    stdin: 'ignore',
    env,
    extendEnv: false,
    buffer: false,
    // Its own process group: the shell must not grab the bridge's terminal, and killing the
    // group reaches whatever its rc files started.
    detached: true,
  });
  // A bridge that exits mid-probe (a stop during start-up) takes the shell's group along.
  const untrack = child.pid !== undefined ? trackProcess(child.pid, 'group') : () => {};
  let killing: Promise<void> | undefined;
  void child.then(() => killing).finally(untrack);
  return new Promise<ShellAnswer>((resolve) => {
    let stdout = '';
    let settled = false;
    const finish = (answer: ShellAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      child.stdout?.removeAllListeners('data');
      // Whatever the rc files left running (at a timeout, the rc files themselves) gets SIGTERM
      // and a moment before SIGKILL, so its EXIT traps run: pyenv's rehash killed outright left
      // its lock file behind, and every later login shell then waited 60 s for it. The answer
      // does not wait for this.
      if (child.pid !== undefined && child.exitCode === null) killing = killProcessTree(child.pid, 2_000).catch(() => {});
      resolve(answer);
    };
    const onAbort = () => finish({ kind: 'aborted' });
    const timer = setTimeout(() => finish({ kind: 'timed_out' }), timeoutMs);
    if (signal?.aborted) return finish({ kind: 'aborted' });
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.length > 1024 * 1024) return finish({ kind: 'printed', stdout, exitCode: null });
      const begin = stdout.lastIndexOf(BEGIN);
      if (begin >= 0 && stdout.indexOf(END, begin) >= 0) finish({ kind: 'printed', stdout, exitCode: null });
    });
    void child.then((result) => {
      const code = (result as { code?: unknown }).code;
      if (result.failed && typeof code === 'string' && result.exitCode === undefined) finish({ kind: 'spawn_error', code });
      else finish({ kind: 'printed', stdout, exitCode: result.exitCode ?? null });
    });
  });
}

/** PATH from the `env` dump between the markers (the last block, should an rc file echo one). */
export function pathFromEnvDump(stdout: string): string | null {
  const lines = stdout.split(/\r?\n/);
  const begin = lines.lastIndexOf(BEGIN);
  if (begin < 0) return null;
  const end = lines.indexOf(END, begin);
  const block = lines.slice(begin + 1, end < 0 ? undefined : end);
  const line = block.find((entry) => entry.startsWith('PATH='));
  const value = line?.slice('PATH='.length).trim();
  return value ? value : null;
}

/** `first` then the entries of `second` it lacks, so nothing the bridge could find is lost. */
export function mergePaths(first: string, second: string, delimiter = path.delimiter): string {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const entry of [...first.split(delimiter), ...second.split(delimiter)]) {
    if (!entry || seen.has(entry)) continue;
    seen.add(entry);
    out.push(entry);
  }
  return out.join(delimiter);
}

/** The bridge's environment with PATH replaced by the login-shell PATH. */
export function withLoginPath(env: NodeJS.ProcessEnv, loginPath: LoginPath): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  // Windows spells it Path; keep one key so the child does not see two.
  for (const key of Object.keys(out)) if (key.toUpperCase() === 'PATH') delete out[key];
  out.PATH = loginPath.path;
  return out;
}
