import type { OutputStream, ProcessExit, ProcessHandlers, ProcessRunner, ProcessSpec, RunningProcess } from './process-runner.js';

/** A process of the in-memory runner, driven by the test. */
export interface FakeProcess {
  readonly spec: ProcessSpec;
  readonly pid: number | undefined;
  /** Signals received through `kill`, in order. */
  readonly kills: number[];
  readonly exited: boolean;
  write(stream: OutputStream, data: string | Buffer): void;
  exit(exit: Partial<ProcessExit>): void;
}

/**
 * The in-memory twin of the execa runner: nothing is spawned. Each `start` creates a
 * `FakeProcess` the test writes output to and ends; `kill` ends it with SIGTERM unless the
 * runner was told processes ignore it. `failSpawn` makes the next starts fail like a missing
 * executable.
 */
export class MemoryProcessRunner implements ProcessRunner {
  readonly processes: FakeProcess[] = [];
  #nextPid = 1000;
  spawnError: string | null = null;
  /** When true, `kill` records the request but the process keeps running until `exit`. */
  ignoreKill = false;

  start(spec: ProcessSpec, handlers: ProcessHandlers): RunningProcess {
    const spawnError = this.spawnError;
    const pid = spawnError ? undefined : this.#nextPid++;
    let exited = false;
    const kills: number[] = [];
    const exit = (partial: Partial<ProcessExit>) => {
      if (exited) return;
      exited = true;
      handlers.onExit({ exitCode: null, signal: null, spawnError: null, ...partial });
    };
    const fake: FakeProcess = {
      spec,
      pid,
      kills,
      get exited() {
        return exited;
      },
      write(stream, data) {
        if (exited) throw new Error('the fake process already exited');
        handlers.onOutput(stream, typeof data === 'string' ? Buffer.from(data) : data);
      },
      exit,
    };
    this.processes.push(fake);
    if (spawnError) queueMicrotask(() => exit({ spawnError }));
    return {
      pid,
      kill: async (graceMs) => {
        kills.push(graceMs);
        if (!this.ignoreKill) exit({ signal: 'SIGTERM' });
      },
    };
  }

  async killAll(_graceMs: number): Promise<void> {
    for (const fake of this.processes) if (!fake.exited) fake.exit({ signal: 'SIGKILL' });
  }

  /** The most recently started process. */
  get last(): FakeProcess {
    const fake = this.processes.at(-1);
    if (!fake) throw new Error('no process was started');
    return fake;
  }
}
