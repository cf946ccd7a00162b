/**
 * The process-runner seam: how the bridge starts a child process and stops its whole tree. The
 * run machine's effects talk to this interface only; `createExecaRunner` is the real one and
 * `MemoryProcessRunner` the in-memory twin unit tests drive by hand.
 */

/** What to start. Values here are resolved (they may hold secrets): never log or persist them. */
export interface ProcessSpec {
  command: string;
  args: readonly string[];
  cwd: string;
  /** The complete environment of the child (nothing is inherited beyond this). */
  env: Readonly<Record<string, string>>;
  /** Written to stdin, which is then closed; stdin is `/dev/null` when absent. */
  stdin?: string;
  /**
   * Run `command` (plus `args`, space-joined) through this shell (`true`: the platform's own,
   * `/bin/sh` or `cmd.exe`) instead of executing it directly.
   */
  shell?: string | boolean;
}

export type OutputStream = 'stdout' | 'stderr';

/** How a process ended. Exactly one of `exitCode`, `signal` or `spawnError` is set. */
export interface ProcessExit {
  exitCode: number | null;
  signal: string | null;
  /** The OS refused to start it (e.g. `ENOENT`): a code, never a message quoting the arguments. */
  spawnError: string | null;
}

export interface ProcessHandlers {
  onOutput(stream: OutputStream, chunk: Buffer): void;
  /** Called once, after both output streams ended. */
  onExit(exit: ProcessExit): void;
}

export interface RunningProcess {
  /** Undefined when the process could not be started (`onExit` then reports a `spawnError`). */
  readonly pid: number | undefined;
  /**
   * Stops the whole process tree: a polite signal first (SIGTERM to the process group; `taskkill /T`
   * on Windows), then a forced kill after `graceMs` if anything of the tree is still there.
   * Resolves once nothing of the tree remains (or the forced kill was sent). Idempotent.
   */
  kill(graceMs: number): Promise<void>;
}

export interface ProcessRunner {
  /**
   * Resolves once `start` can be called: the real runner loads execa here, at the first spawn
   * rather than at the bridge's start. Callers await it before `start`; a twin needs none.
   */
  prepare?(): Promise<void>;
  start(spec: ProcessSpec, handlers: ProcessHandlers): RunningProcess;
  /**
   * `start` without blocking the caller's process for the spawn (the real runner spawns from a
   * small helper process): resolves once the process started, with its pid, or was refused (no pid,
   * `onExit` reports the `spawnError`). Optional: callers fall back to `start`.
   */
  spawn?(spec: ProcessSpec, handlers: ProcessHandlers): Promise<RunningProcess>;
  /** Kills every process this runner started that is still alive; used when the bridge stops. */
  killAll(graceMs: number): Promise<void>;
}
