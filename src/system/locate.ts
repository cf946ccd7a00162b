import which from 'which';
import { runBounded } from './bounded-run.js';

/** A tool as found (or not) on a PATH. */
export interface ToolLocation {
  name: string;
  installed: boolean;
  path: string | null;
  version: string | null;
}

export interface LocateOptions {
  /** The PATH to search (the login-shell PATH). */
  searchPath: string;
  /** The environment version probes run with. */
  env: NodeJS.ProcessEnv;
  /** Per-probe limit: a version that takes longer is reported as null. */
  timeoutMs: number;
  /**
   * Epoch ms by which every probe of a detection must be done, however late it started (the
   * PATH lookup before it takes time too): keeps a whole detection within about `timeoutMs`.
   */
  deadline?: number;
  /** Arguments that print the version; default `--version`. */
  versionArgs?: readonly string[];
}

/** Tools whose version is not printed by `--version`. */
const VERSION_ARGS: Record<string, readonly string[]> = {
  go: ['version'],
  ffmpeg: ['-version'],
  ffprobe: ['-version'],
  java: ['-version'],
  ssh: ['-V'],
  unzip: ['-v'],
  port: ['version'],
  winget: ['--version'],
  choco: ['--version'],
};

/** A probe that starts after the deadline still gets this long: a fast tool answers in it. */
const MIN_PROBE_MS = 100;

/** The executable `name` resolves to on `searchPath`, or null. */
export async function findExecutable(name: string, searchPath: string): Promise<string | null> {
  return which(name, { path: searchPath, nothrow: true });
}

/** Finds `name` on the PATH and reads its version; never throws, never waits past the timeout. */
export async function locateTool(name: string, options: LocateOptions): Promise<ToolLocation> {
  const found = await findExecutable(name, options.searchPath);
  if (!found) return { name, installed: false, path: null, version: null };
  const version = await probeVersion(found, options.versionArgs ?? (Object.hasOwn(VERSION_ARGS, name) ? VERSION_ARGS[name] : undefined) ?? ['--version'], options);
  return { name, installed: true, path: found, version };
}

/** The version an executable prints, or null when it prints none in time. */
export async function probeVersion(executable: string, args: readonly string[], options: Pick<LocateOptions, 'env' | 'timeoutMs' | 'deadline'>): Promise<string | null> {
  const timeoutMs = options.deadline === undefined ? options.timeoutMs : Math.min(options.timeoutMs, Math.max(MIN_PROBE_MS, options.deadline - Date.now()));
  const result = await runBounded(executable, args, { timeoutMs, env: options.env });
  if (result.failure) return null;
  // Some tools (java, ssh) print their version on stderr.
  return versionFrom(result.stdout) ?? versionFrom(result.stderr);
}

/**
 * The version in a tool's output: the first `x.y[.z…]` number of its first non-empty line
 * (`git version 2.39.5` → `2.39.5`), else that line itself, cut to 200 characters.
 */
export function versionFrom(output: string): string | null {
  const line = output.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '');
  if (!line) return null;
  const number = /\d+\.\d+(?:\.\d+)*(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?/.exec(line);
  return number ? number[0] : line.slice(0, 200);
}
