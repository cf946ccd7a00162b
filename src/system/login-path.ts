import os from 'node:os';
import path from 'node:path';
import { runBounded } from './bounded-run.js';

/** The PATH commands are resolved on, and where it came from. */
export interface LoginPath {
  /** `delimiter`-separated, login-shell entries first, then any of the bridge's own not already there. */
  path: string;
  /** `login-shell`: read from the user's login shell. `process`: the bridge's own PATH (see `reason`). */
  source: 'login-shell' | 'process';
  /** The login shell asked, when there is one. */
  shell: string | null;
  /** Why the bridge's own PATH is used. */
  reason?: string;
}

export interface LoginPathOptions {
  /** Default: `$SHELL`, else the shell of the user's account. */
  shell?: string | null;
  /** Default 5000 ms: rc files that load nvm, pyenv or conda can take seconds. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

export const DEFAULT_LOGIN_SHELL_TIMEOUT_MS = 5000;

const BEGIN = '__OSLOOP_ENV_BEGIN__';
const END = '__OSLOOP_ENV_END__';
// `env` prints PATH colon-joined in every shell (fish keeps a list internally but exports it
// joined); the markers cut away whatever the rc files print themselves. `echo` and `;` work in
// sh, bash, zsh and fish alike.
const SCRIPT = `echo ${BEGIN}; env; echo ${END}`;

/** The user's login shell: `$SHELL`, else the account's shell; none on Windows. */
export function loginShellOf(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string | null {
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
 * launcher (launchd, a .desktop file) inherits a minimal PATH in which `npx`, nvm's `node` or
 * `brew` are missing; the login shell's PATH is what the user's terminal would use. Falls back to
 * the bridge's own PATH when there is no shell, it fails, or it is slower than `timeoutMs`.
 */
export async function readLoginPath(options: LoginPathOptions = {}): Promise<LoginPath> {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const own = env.PATH ?? env.Path ?? '';
  const shell = options.shell === undefined ? loginShellOf(env, platform) : options.shell;
  const fallback = (reason: string): LoginPath => ({ path: mergePaths(own, ''), source: 'process', shell, reason });
  if (!shell) return fallback(platform === 'win32' ? 'Windows has no login shell; its PATH comes from the registry' : 'no login shell is known');

  const result = await runBounded(shell, ['-ilc', SCRIPT], {
    timeoutMs: options.timeoutMs ?? DEFAULT_LOGIN_SHELL_TIMEOUT_MS,
    env: { ...env, TERM: 'dumb' },
  });
  if (result.failure === 'timed_out') return fallback(`the login shell ${shell} did not answer within ${options.timeoutMs ?? DEFAULT_LOGIN_SHELL_TIMEOUT_MS} ms`);
  if (result.failure === 'spawn_error') return fallback(`the login shell ${shell} could not start (${result.errorCode})`);
  const fromShell = pathFromEnvDump(result.stdout);
  if (!fromShell) return fallback(`the login shell ${shell} printed no PATH (exit code ${result.exitCode})`);
  return { path: mergePaths(fromShell, own), source: 'login-shell', shell };
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

let cached: Promise<LoginPath> | undefined;

/**
 * The login-shell PATH, read once per process and cached (command runs, tool location and
 * version probes all use it). Pass `timeoutMs` to bound the first read.
 */
export function getLoginPath(options: Pick<LoginPathOptions, 'timeoutMs'> = {}): Promise<LoginPath> {
  cached ??= readLoginPath(options);
  return cached;
}

/** The bridge's environment with PATH replaced by the login-shell PATH. */
export function withLoginPath(env: NodeJS.ProcessEnv, loginPath: LoginPath): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  // Windows spells it Path; keep one key so the child does not see two.
  for (const key of Object.keys(out)) if (key.toUpperCase() === 'PATH') delete out[key];
  out.PATH = loginPath.path;
  return out;
}
