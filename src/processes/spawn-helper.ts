import { spawn, type ChildProcess } from 'node:child_process';
import type { OutputStream, ProcessExit, ProcessSpec } from './process-runner.js';

/**
 * Node's `child_process.spawn` blocks the thread that calls it until the child has exec'd (libuv
 * forks, then waits on a pipe): 2–7 ms per spawn on a loaded machine, during which the bridge
 * answered nothing (docs/performance.md, "commands"). A worker thread took the wait off the main
 * thread but not the fork: forking holds the whole process's memory map, so the bridge's main
 * thread still stalled on its allocations, and forking a large process is slow. Command runs are
 * therefore spawned by a small helper process (a bare node with nothing loaded), which relays each
 * child's pid, output and exit, in order, over its IPC channel (advanced serialisation: chunks go
 * as bytes, not JSON). The children are the helper's, in their own process groups as before; the
 * bridge signals and tracks them by pid. The helper leaves when the bridge does (its channel
 * closes) and when it has had no child for IDLE_EXIT_MS, so an idle bridge has no extra process.
 *
 * Its source is plain JavaScript passed to `node -e`, so that it runs the same from the
 * TypeScript sources, the compiled dist/ and the bundle.
 */
const IDLE_EXIT_MS = 2_000;

const HELPER_SOURCE = `
const { spawn } = require('node:child_process');
const STREAMS = ['stdout', 'stderr'];
let live = 0;
let idleTimer;
const idle = () => {
  clearTimeout(idleTimer);
  if (live === 0) idleTimer = setTimeout(() => process.disconnect(), ${IDLE_EXIT_MS});
};
process.on('disconnect', () => process.exit(0));
process.on('message', (spec) => {
  const { id } = spec;
  live++;
  clearTimeout(idleTimer);
  let ended = false;
  const end = (message) => {
    if (ended) return;
    ended = true;
    live--;
    process.send(message);
    idle();
  };
  let child;
  try {
    child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      shell: spec.shell,
      detached: spec.detached,
      windowsHide: true,
      stdio: [spec.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
  } catch (error) {
    end({ id, kind: 'exit', exitCode: null, signal: null, spawnError: (error && error.code) || 'ESPAWN' });
    return;
  }
  child.once('spawn', () => process.send({ id, kind: 'spawned', pid: child.pid }));
  child.once('error', (error) => {
    // After a successful spawn an error is a failed kill or write; the exit still follows.
    if (child.pid === undefined) end({ id, kind: 'exit', exitCode: null, signal: null, spawnError: error.code || 'ESPAWN' });
  });
  for (const name of STREAMS) child[name].on('data', (chunk) => process.send({ id, kind: 'output', stream: name, chunk }));
  if (spec.stdin !== undefined) {
    // A child that exits without reading its stdin closes the pipe under us: not an error of the run.
    child.stdin.on('error', () => {});
    child.stdin.end(spec.stdin);
  }
  // 'close' comes after both output streams ended and the process exited.
  child.once('close', (exitCode, signal) => end({ id, kind: 'exit', exitCode: signal ? null : exitCode, signal: signal || null, spawnError: null }));
});
`;

export interface HelperSpawnHandlers {
  onSpawned(pid: number): void;
  onOutput(stream: OutputStream, chunk: Buffer): void;
  /** Called once, after every output chunk. */
  onExit(exit: ProcessExit): void;
}

interface HelperSpec {
  id: number;
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  stdin: string | undefined;
  shell: string | boolean;
  detached: boolean;
}

type HelperMessage =
  | { id: number; kind: 'spawned'; pid: number }
  | { id: number; kind: 'output'; stream: OutputStream; chunk: Uint8Array }
  | ({ id: number; kind: 'exit' } & ProcessExit);

/** The spawn helper, started at the first spawn (and again after it left) and shared by every run. */
export class SpawnHelper {
  #helper: ChildProcess | undefined;
  #nextId = 1;
  readonly #children = new Map<number, { handlers: HelperSpawnHandlers; spec: HelperSpec; spawned: boolean }>();

  spawn(spec: ProcessSpec & { detached: boolean }, handlers: HelperSpawnHandlers): void {
    const id = this.#nextId++;
    const { command, args, cwd, env, stdin, shell, detached } = spec;
    const helperSpec: HelperSpec = { id, command, args: [...args], cwd, env: { ...env }, stdin, shell: shell ?? false, detached };
    this.#children.set(id, { handlers, spec: helperSpec, spawned: false });
    this.#ensureHelper().send(helperSpec);
  }

  #ensureHelper(): ChildProcess {
    if (this.#helper?.connected) return this.#helper;
    const helper = spawn(process.execPath, ['-e', HELPER_SOURCE], {
      // Nothing of the bridge's environment (its tokens' variables): each child gets its own.
      env: {},
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'advanced',
      windowsHide: true,
    });
    // It must never keep the bridge (or a test process) alive by itself.
    helper.unref();
    helper.channel?.unref();
    helper.on('message', (message: HelperMessage) => this.#receive(message));
    const lost = () => {
      if (this.#helper !== helper) return;
      this.#helper = undefined;
      // A spec sent as the helper left for being idle never reached it (it leaves only with no
      // child): sent again, to a new helper. A child it was relaying is lost with it: that run
      // ends as failed (internal).
      const unsent: HelperSpec[] = [];
      for (const [id, child] of this.#children) {
        if (child.spawned) {
          this.#children.delete(id);
          child.handlers.onExit({ exitCode: null, signal: null, spawnError: 'EINTERNAL' });
        } else unsent.push(child.spec);
      }
      if (unsent.length > 0) {
        const next = this.#ensureHelper();
        for (const spec of unsent) next.send(spec);
      }
    };
    helper.once('error', lost);
    helper.once('disconnect', lost);
    this.#helper = helper;
    return helper;
  }

  #receive(message: HelperMessage): void {
    const child = this.#children.get(message.id);
    if (!child) return;
    const { handlers } = child;
    // Any answer means the helper received the spec: from here the child is the helper's.
    child.spawned = true;
    if (message.kind === 'spawned') return handlers.onSpawned(message.pid);
    if (message.kind === 'output') {
      const { chunk } = message;
      return handlers.onOutput(message.stream, Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    }
    this.#children.delete(message.id);
    const { exitCode, signal, spawnError } = message;
    handlers.onExit({ exitCode, signal, spawnError });
  }
}
