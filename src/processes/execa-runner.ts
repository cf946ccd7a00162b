import { loadExeca, loadedExeca } from './load-execa.js';
import { groupAlive, killProcessTree } from './kill-tree.js';
import { trackProcess } from './process-groups.js';
import type { ProcessExit, ProcessHandlers, ProcessRunner, ProcessSpec, RunningProcess } from './process-runner.js';
import { SpawnHelperPool } from './spawn-helper-pool.js';

/** Grace a process group's stragglers get between SIGTERM and SIGKILL unless the runner is told. */
const DEFAULT_STRAY_GRACE_MS = 2_000;

/**
 * The real process runner, on execa: an argument array (no shell unless asked), the child in its
 * own process group so that its whole tree can be signalled, raw bytes streamed to the handlers
 * and nothing buffered here (the run keeps its own bounded buffer). `strayGraceMs` is the grace
 * given to what a child leaves running in its group when it exits by itself.
 */
export function createExecaRunner(
  options: { platform?: NodeJS.Platform; strayGraceMs?: () => number } = {},
): ProcessRunner & { prepare(): Promise<void>; spawn(spec: ProcessSpec, handlers: ProcessHandlers): Promise<RunningProcess> } {
  const platform = options.platform ?? process.platform;
  const strayGraceMs = options.strayGraceMs ?? (() => DEFAULT_STRAY_GRACE_MS);
  const live = new Set<RunningProcess>();

  /**
   * What both ways of starting share: the process is killed (tree and grace) at most once,
   * tracked while it lives, and what it left running in its group is stopped before its exit is
   * reported, so a process is never left behind.
   */
  const lifecycle = () => {
    let pid: number | undefined;
    let killing: Promise<void> | undefined;
    let exited = false;
    let untrack = () => {};
    const running: RunningProcess = {
      get pid() {
        return pid;
      },
      kill(graceMs) {
        if (pid === undefined || exited) return Promise.resolve();
        killing ??= killProcessTree(pid, graceMs, platform);
        return killing;
      },
    };
    return {
      running,
      started(startedPid: number) {
        pid = startedPid;
        live.add(running);
        untrack = trackProcess(startedPid, platform === 'win32' ? 'process' : 'group');
      },
      async ended() {
        // The child is gone, but what it started in its group with its output sent elsewhere
        // (`sleep 100 >/dev/null &`) would outlive it unseen and escape maxConcurrentRuns.
        if (platform !== 'win32' && pid !== undefined && groupAlive(pid)) {
          killing ??= killProcessTree(pid, strayGraceMs(), platform);
          await killing;
        }
        exited = true;
        live.delete(running);
        untrack();
      },
    };
  };

  return {
    /**
     * `start`, with the spawn itself done by a small helper process (spawn-helper.ts, one of a
     * pool: spawn-helper-pool.ts) so that this process goes on answering meanwhile; resolves once
     * the OS started the process (or refused).
     * The same semantics: own process group, raw bytes, the group's stragglers stopped before
     * the exit is reported.
     */
    spawn(spec, handlers) {
      // The helper hands over its children's pipes as handles, which Windows does not do for pipes.
      if (platform === 'win32') return Promise.resolve(this.start(spec, handlers));
      return new Promise<RunningProcess>((resolve) => {
        const child = lifecycle();
        sharedSpawnHelpers().spawn(
          { ...spec, detached: true },
          {
            onSpawned(pid) {
              child.started(pid);
              resolve(child.running);
            },
            onOutput: (stream, chunk) => handlers.onOutput(stream, chunk),
            async onExit(exit) {
              await child.ended();
              // A refused spawn resolves here, with no pid.
              resolve(child.running);
              handlers.onExit(exit);
            },
          },
        );
      });
    },

    async prepare() {
      await loadExeca();
    },
    start(spec: ProcessSpec, handlers: ProcessHandlers): RunningProcess {
      const execa = loadedExeca()?.execa;
      if (!execa) throw new Error('createExecaRunner: start() before prepare() resolved');
      const subprocess = execa(spec.command, [...spec.args], {
        cwd: spec.cwd,
        env: spec.env,
        extendEnv: false,
        shell: spec.shell ?? false,
        ...(spec.stdin !== undefined ? { input: spec.stdin } : { stdin: 'ignore' as const }),
        // Its own process group on POSIX; on Windows this would open a console window instead.
        detached: platform !== 'win32',
        // The bridge kills trees itself, with a grace period, when a run or the bridge stops.
        cleanup: false,
        buffer: false,
        encoding: 'buffer',
        stripFinalNewline: false,
        reject: false,
        windowsHide: true,
      });
      subprocess.stdout?.on('data', (chunk: Buffer) => handlers.onOutput('stdout', chunk));
      subprocess.stderr?.on('data', (chunk: Buffer) => handlers.onOutput('stderr', chunk));

      const child = lifecycle();
      if (subprocess.pid !== undefined) child.started(subprocess.pid);

      void subprocess.then(async (result) => {
        await child.ended();
        const exit: ProcessExit =
          result.exitCode !== undefined
            ? { exitCode: result.exitCode, signal: null, spawnError: null }
            : result.signal !== undefined
              ? { exitCode: null, signal: result.signal, spawnError: null }
              : // execa's own messages quote the resolved arguments: only the error code leaves here.
                { exitCode: null, signal: null, spawnError: spawnErrorCode(result) };
        handlers.onExit(exit);
      });
      return child.running;
    },

    async killAll(graceMs) {
      await Promise.all([...live].map((running) => running.kill(graceMs)));
    },
  };
}

/** One pool of spawn helpers per process, whatever the number of runners (and of bridges, in tests). */
let spawnHelpers: SpawnHelperPool | undefined;
const sharedSpawnHelpers = (): SpawnHelperPool => (spawnHelpers ??= new SpawnHelperPool());

function spawnErrorCode(result: { code?: string; cause?: unknown }): string {
  if (result.code) return result.code;
  const cause = result.cause as { code?: unknown } | undefined;
  return typeof cause?.code === 'string' ? cause.code : 'ESPAWN';
}
