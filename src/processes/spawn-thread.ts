import { Worker } from 'node:worker_threads';
import type { OutputStream, ProcessExit, ProcessSpec } from './process-runner.js';

/**
 * Node's `child_process.spawn` blocks the thread that calls it until the child has exec'd (libuv
 * forks, then waits on a pipe): 2–7 ms per spawn on a loaded machine, during which the bridge
 * answered nothing (docs/performance.md, "commands"). Command runs are therefore spawned by one
 * long-lived worker thread; only its own event loop waits. The worker relays each child's pid,
 * output (the chunk's memory is transferred, not copied) and exit, in order, on its port.
 *
 * The worker's source is plain JavaScript, evaluated rather than loaded from a file, so that it
 * runs the same from the TypeScript sources, the compiled dist/ and the bundle.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { spawn } = require('node:child_process');
const STREAMS = ['stdout', 'stderr'];
parentPort.on('message', (spec) => {
  const { id } = spec;
  let ended = false;
  const end = (message) => {
    if (ended) return;
    ended = true;
    parentPort.postMessage(message);
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
  child.once('spawn', () => parentPort.postMessage({ id, kind: 'spawned', pid: child.pid }));
  child.once('error', (error) => {
    // After a successful spawn an error is a failed kill or write; the exit still follows.
    if (child.pid === undefined) end({ id, kind: 'exit', exitCode: null, signal: null, spawnError: error.code || 'ESPAWN' });
  });
  for (const name of STREAMS) {
    child[name].on('data', (chunk) => {
      // A chunk that owns its whole ArrayBuffer is moved to the bridge's thread; a view into a
      // shared one is copied first, so that nothing else loses its memory.
      const own = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength ? chunk : Buffer.from(chunk);
      parentPort.postMessage({ id, kind: 'output', stream: name, chunk: own }, [own.buffer]);
    });
  }
  if (spec.stdin !== undefined) {
    // A child that exits without reading its stdin closes the pipe under us: not an error of the run.
    child.stdin.on('error', () => {});
    child.stdin.end(spec.stdin);
  }
  // 'close' comes after both output streams ended and the process exited.
  child.once('close', (exitCode, signal) => end({ id, kind: 'exit', exitCode: signal ? null : exitCode, signal: signal || null, spawnError: null }));
});
`;

export interface ThreadSpawnHandlers {
  onSpawned(pid: number): void;
  onOutput(stream: OutputStream, chunk: Buffer): void;
  /** Called once, after every output chunk. */
  onExit(exit: ProcessExit): void;
}

type WorkerMessage =
  | { id: number; kind: 'spawned'; pid: number }
  | { id: number; kind: 'output'; stream: OutputStream; chunk: Uint8Array }
  | ({ id: number; kind: 'exit' } & ProcessExit);

/**
 * The spawning worker, started at the first spawn and shared by every run after it. It is never
 * stopped: unreferenced, it costs nothing while idle and does not hold the process open.
 */
export class SpawnThread {
  #worker: Worker | undefined;
  #nextId = 1;
  readonly #children = new Map<number, ThreadSpawnHandlers>();

  spawn(spec: ProcessSpec & { detached: boolean }, handlers: ThreadSpawnHandlers): void {
    const id = this.#nextId++;
    this.#children.set(id, handlers);
    const { command, args, cwd, env, stdin, shell, detached } = spec;
    this.#ensureWorker().postMessage({ id, command, args: [...args], cwd, env: { ...env }, stdin, shell: shell ?? false, detached });
  }

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true, name: 'osloop-spawn' });
    // It must never keep the bridge alive by itself; the children it relays are tracked elsewhere.
    worker.unref();
    worker.on('message', (message: WorkerMessage) => this.#receive(message));
    const lost = () => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      // Whatever it was relaying is lost with it: those runs end as failed to spawn or internal.
      const orphans = [...this.#children.values()];
      this.#children.clear();
      for (const handlers of orphans) handlers.onExit({ exitCode: null, signal: null, spawnError: 'EINTERNAL' });
    };
    worker.once('error', lost);
    worker.once('exit', lost);
    this.#worker = worker;
    return worker;
  }

  #receive(message: WorkerMessage): void {
    const handlers = this.#children.get(message.id);
    if (!handlers) return;
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
