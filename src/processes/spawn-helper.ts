import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import type { OutputStream, ProcessExit, ProcessSpec } from './process-runner.js';

/**
 * Node's `child_process.spawn` blocks the thread that calls it until the child has exec'd (libuv
 * forks, then waits on a pipe): 2–7 ms per spawn on a loaded machine, during which the bridge
 * answered nothing (docs/performance.md, "commands"). A worker thread took the wait off the main
 * thread but not the fork: forking holds the whole process's memory map, so the bridge's main
 * thread still stalled on its allocations, and forking a large process is slow. Command runs are
 * therefore spawned by a small helper process (a bare node with nothing loaded; a bridge has a
 * pool of them, spawn-helper-pool.ts, so that their waits overlap), which relays each
 * child's pid and exit over its IPC channel, and its output too while it is small; a pipe whose
 * output goes on past RELAY_LIMIT_BYTES is handed to the bridge itself (sent as a handle), which
 * reads the rest as it would its own children's. The children are the helper's, in their own process groups as before; the
 * bridge signals and tracks them by pid. The helper leaves when the bridge does (its channel
 * closes), SIGKILLing the groups of the children still running, so that even a bridge killed with
 * SIGKILL leaves no run behind; and it leaves when it has had no child for IDLE_EXIT_MS, so an
 * idle bridge has no extra process.
 *
 * Its source is plain JavaScript passed to `node -e`, so that it runs the same from the
 * TypeScript sources, the compiled dist/ and the bundle.
 */
const IDLE_EXIT_MS = 2_000;
/**
 * Bytes of each pipe relayed over IPC before the pipe itself is handed over. Receiving a handle
 * (and acknowledging it) cost the bridge about 0.9 ms, more than relaying a small output; relaying
 * a large one costs more per MiB than reading the pipe (docs/performance.md, "Commands under load").
 */
const RELAY_LIMIT_BYTES = 64 * 1024;

const HELPER_SOURCE = `
const { spawn } = require('node:child_process');
const STREAMS = ['stdout', 'stderr'];
// A pipe's first bytes are relayed over the channel; one that goes on past this is handed over.
const RELAY_LIMIT = ${RELAY_LIMIT_BYTES};
// Relays a pipe's bytes until it ends (then calls ended), or until RELAY_LIMIT bytes went: then
// the pipe itself goes to the bridge, which reads the rest directly (and learns its end itself).
const relay = (id, name, stream, ended) => {
  let relayed = 0;
  let handedOver = false;
  stream.on('data', (chunk) => {
    // base64: the channel carries JSON (see the bridge's side); the bytes arrive exactly as read.
    process.send({ id, kind: 'output', stream: name, chunk: chunk.toString('base64') });
    relayed += chunk.length;
    if (handedOver || relayed < RELAY_LIMIT) return;
    handedOver = true;
    // Reading stops before the handle goes: a handle waits for the bridge's acknowledgement of
    // the one before it, and bytes read here meanwhile would be lost. What the stream already
    // holds (nothing, in flowing mode) is relayed first, by read()'s own 'data' events.
    stream._handle.readStop();
    while (stream.readableLength > 0 && stream.read() !== null);
    // The message is sent after every relayed chunk; the socket is closed on this side, and the
    // exit no longer waits for this pipe here (the bridge waits for its end).
    process.send({ id, kind: 'stream', stream: name }, stream);
    ended();
  });
  // A read error ends the pipe as its end would; the exit still follows.
  stream.on('error', () => {});
  stream.once('close', () => {
    if (!handedOver) ended();
  });
};
let live = 0;
let idleTimer;
const idle = () => {
  clearTimeout(idleTimer);
  if (live === 0) idleTimer = setTimeout(() => process.disconnect(), ${IDLE_EXIT_MS});
};
// Each child whose exit has not been seen yet, by pid, and whether it leads its own group.
const running = new Map();
process.on('disconnect', () => {
  // The bridge is gone: it left (an orderly stop ended every run first), or it was killed, or it
  // exited hard, where a child spawned just before might not have reached its list of processes
  // to kill yet. Nothing it started may outlive it, so whatever still runs is killed here.
  for (const [pid, detached] of running) {
    try {
      process.kill(detached ? -pid : pid, 'SIGKILL');
    } catch {}
  }
  process.exit(0);
});
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
  if (child.pid !== undefined) running.set(child.pid, spec.detached);
  // The exit is reported once the child exited and each pipe still read here has ended.
  let exit;
  let keptOpen = 0;
  const reportExit = () => {
    if (exit !== undefined && keptOpen === 0) end(exit);
  };
  child.once('spawn', () => {
    process.send({ id, kind: 'spawned', pid: child.pid });
    for (const name of STREAMS) {
      keptOpen++;
      relay(id, name, child[name], () => {
        keptOpen--;
        reportExit();
      });
    }
  });
  child.once('error', (error) => {
    // After a successful spawn an error is a failed kill or write; the exit still follows.
    if (child.pid === undefined) end({ id, kind: 'exit', exitCode: null, signal: null, spawnError: error.code || 'ESPAWN' });
  });
  if (spec.stdin !== undefined) {
    // A child that exits without reading its stdin closes the pipe under us: not an error of the run.
    child.stdin.on('error', () => {});
    child.stdin.end(spec.stdin);
  }
  // The bridge reports the exit once it has read both pipes to their end.
  child.once('exit', (exitCode, signal) => {
    running.delete(child.pid);
    exit = { id, kind: 'exit', exitCode: signal ? null : exitCode, signal: signal || null, spawnError: null };
    reportExit();
  });
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

interface HelperChild {
  handlers: HelperSpawnHandlers;
  spec: HelperSpec;
  spawned: boolean;
  /** Output pipes the helper handed over that this side has not read to their end yet. */
  handedOpen: number;
  exit: ProcessExit | undefined;
}

type HelperMessage =
  | { id: number; kind: 'spawned'; pid: number }
  | { id: number; kind: 'output'; stream: OutputStream; /** base64 */ chunk: string }
  | { id: number; kind: 'stream'; stream: OutputStream }
  | ({ id: number; kind: 'exit' } & ProcessExit);

/** One spawn helper, started at its first spawn (and again after it left); the pool shares it among runs. */
export class SpawnHelper {
  #helper: ChildProcess | undefined;
  #nextId = 1;
  readonly #children = new Map<number, HelperChild>();
  #awaitingAnswer = 0;

  /** Spawns sent that the helper has not answered yet: it spawns one at a time, so these queue. */
  get awaitingAnswer(): number {
    return this.#awaitingAnswer;
  }

  spawn(spec: ProcessSpec & { detached: boolean }, handlers: HelperSpawnHandlers): void {
    const id = this.#nextId++;
    const { command, args, cwd, env, stdin, shell, detached } = spec;
    const helperSpec: HelperSpec = { id, command, args: [...args], cwd, env: { ...env }, stdin, shell: shell ?? false, detached };
    this.#children.set(id, { handlers, spec: helperSpec, spawned: false, handedOpen: 0, exit: undefined });
    this.#awaitingAnswer++;
    const helper = this.#ensureHelper();
    // Held open while it has children to report, like a child process of this one would be.
    helper.channel?.ref();
    helper.send(helperSpec);
  }

  #ensureHelper(): ChildProcess {
    if (this.#helper?.connected) return this.#helper;
    // --single-threaded: no V8 background threads (its heap is tiny, its GC on its own thread is
    // cheap); spawning `true` in a loop then cost 0.57-0.62 against 0.65-0.69 ms of CPU each, and
    // a spawn is all the helper does. --max-semi-space-size=1 (MiB): after each fork every page
    // the helper writes is copied on write, and a young generation allowed to grow to 16 MiB
    // spreads its allocations over that many more pages; capped, the helper's CPU per `true` went
    // from 0.62-0.67 to 0.55-0.59 ms (docs/performance.md, "Commands under load").
    const helper = spawn(process.execPath, ['--single-threaded', '--max-semi-space-size=1', '-e', HELPER_SOURCE], {
      // Nothing of the bridge's environment (its tokens' variables): each child gets its own.
      env: {},
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      // JSON, not 'advanced' (V8's serializer, which carries Buffers as they are): the messages
      // are small objects, which Node's JSON channel encodes and decodes for less CPU on both
      // sides (a spec and two replies per `true`: ~20 us less here, 40-80 us less in the helper).
      // Relayed output (at most RELAY_LIMIT_BYTES a pipe) goes as base64.
      serialization: 'json',
      windowsHide: true,
    });
    // Idle, it must never keep the bridge (or a test process) alive by itself.
    helper.unref();
    helper.channel?.unref();
    helper.on('message', (message: HelperMessage, socket?: Socket) => this.#receive(message, socket));
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
        next.channel?.ref();
        for (const spec of unsent) next.send(spec);
      }
    };
    helper.once('error', lost);
    helper.once('disconnect', lost);
    this.#helper = helper;
    return helper;
  }

  #receive(message: HelperMessage, socket: Socket | undefined): void {
    const child = this.#children.get(message.id);
    if (!child) return;
    const { handlers } = child;
    // Any answer means the helper received the spec: from here the child is the helper's.
    if (!child.spawned) this.#awaitingAnswer--;
    child.spawned = true;
    if (message.kind === 'spawned') return handlers.onSpawned(message.pid);
    if (message.kind === 'output') {
      return handlers.onOutput(message.stream, Buffer.from(message.chunk, 'base64'));
    }
    if (message.kind === 'stream') {
      // The helper sends a pipe only while it is open; without one there is nothing more to read.
      if (!socket) return;
      const { stream } = message;
      child.handedOpen++;
      socket.on('data', (chunk: Buffer) => handlers.onOutput(stream, chunk));
      // A read error ends the stream as its end would; the exit still follows.
      socket.on('error', () => {});
      socket.once('close', () => this.#streamEnded(message.id, child));
      return;
    }
    const { exitCode, signal, spawnError } = message;
    // Sent after every relayed chunk and every handed-over pipe: only the latter may still be read.
    child.exit = { exitCode, signal, spawnError };
    this.#finishIfDone(message.id, child);
  }

  #streamEnded(id: number, child: HelperChild): void {
    child.handedOpen--;
    this.#finishIfDone(id, child);
  }

  /** The exit is reported after every byte of both pipes, as `onExit` promises. */
  #finishIfDone(id: number, child: HelperChild): void {
    if (child.exit === undefined || child.handedOpen > 0) return;
    this.#children.delete(id);
    if (this.#children.size === 0) this.#helper?.channel?.unref();
    child.handlers.onExit(child.exit);
  }
}
