import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

const MARKER = '__OSLOOP_LOGIN_PATH__';
/** A login shell that takes longer than this (a slow rc file) is not waited for. */
export const LOGIN_SHELL_TIMEOUT_MS = 4_000;

export interface LoginPathOptions {
  /** The user's login shell; `$SHELL`, then the passwd entry, by default. */
  shell?: string | null;
  /** The PATH the bridge itself was started with. */
  inheritedPath?: string;
  platform?: NodeJS.Platform;
  timeoutMs?: number;
  /** Aborts the shell (the bridge is stopping); the inherited PATH is returned. */
  signal?: AbortSignal;
}

/** The user's login shell, as the OS knows it; null on Windows or when unknown. */
export function userLoginShell(env: NodeJS.ProcessEnv = process.env): string | null {
  if (process.platform === 'win32') return null;
  if (env.SHELL) return env.SHELL;
  try {
    return os.userInfo().shell ?? null;
  } catch {
    return null;
  }
}

/**
 * The PATH commands are resolved on. A bridge launched from a desktop (dock, tray, autostart)
 * inherits a minimal PATH without nvm's node, Homebrew or ~/.local/bin, so the user's login shell
 * is asked for its PATH (interactive too, because nvm and many rc files only set it there).
 * Entries of the inherited PATH it lacks are appended. If the shell fails or is slow, the
 * inherited PATH is used as is.
 */
export async function resolveLoginPath(options: LoginPathOptions = {}): Promise<string> {
  const platform = options.platform ?? process.platform;
  const inherited = options.inheritedPath ?? process.env.PATH ?? '';
  const shell = options.shell === undefined ? userLoginShell() : options.shell;
  if (platform === 'win32' || !shell) return inherited;
  const fromShell = await askShellForPath(shell, options.timeoutMs ?? LOGIN_SHELL_TIMEOUT_MS, options.signal);
  return fromShell ? mergePaths(fromShell, inherited) : inherited;
}

/** `first`'s entries, then those of `second` not already present, without empty entries. */
export function mergePaths(first: string, second: string, delimiter = path.delimiter): string {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const entry of [...first.split(delimiter), ...second.split(delimiter)]) {
    if (entry === '' || seen.has(entry)) continue;
    seen.add(entry);
    out.push(entry);
  }
  return out.join(delimiter);
}

async function askShellForPath(shell: string, timeoutMs: number, signal?: AbortSignal): Promise<string | null> {
  // fish keeps PATH as a list; every other common shell has the POSIX form.
  const print = path.basename(shell) === 'fish'
    ? `printf '${MARKER}%s${MARKER}' (string join : $PATH)`
    : `printf '${MARKER}%s${MARKER}' "$PATH"`;
  // Markers isolate the value from whatever banners the rc files print.
  const result = await execa(shell, ['-ilc', print], {
    stdin: 'ignore',
    reject: false,
    timeout: timeoutMs,
    cleanup: true,
    encoding: 'utf8',
    ...(signal ? { cancelSignal: signal } : {}),
  });
  const match = new RegExp(`${MARKER}(.*?)${MARKER}`, 's').exec(String(result.stdout ?? ''));
  return match?.[1] ? match[1] : null;
}
