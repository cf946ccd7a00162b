import type { WebSocket } from 'ws';

/** Frames handed to the socket but not yet written to the kernel; beyond this we queue. */
const IN_FLIGHT_WINDOW = 64;

/**
 * Feeds one socket from two queues: the replay backlog first (bounded by the event buffer), then
 * live frames. Only the live queue has a limit: a consumer that lets it grow past `liveLimit` is
 * too slow and `onOverflow` is called — it must never make the bridge buffer without bound.
 */
export class FramePump {
  readonly #socket: WebSocket;
  readonly #liveLimit: number;
  readonly #onOverflow: () => void;
  #backlog: QueuedFrame[] = [];
  #live: QueuedFrame[] = [];
  #inFlight = 0;
  #stopped = false;
  #lastHandedSeq: number;

  constructor(socket: WebSocket, options: { liveLimit: number; startSeq: number; onOverflow: () => void }) {
    this.#socket = socket;
    this.#liveLimit = options.liveLimit;
    this.#onOverflow = options.onOverflow;
    this.#lastHandedSeq = options.startSeq;
  }

  /**
   * The seq of the last event handed to the socket. The socket delivers those before its close
   * frame, so a client cut off as too slow resumes losslessly from here.
   */
  get lastHandedSeq(): number {
    return this.#lastHandedSeq;
  }

  /** Where the client's stream starts, set once before the first event is handed over. */
  startAt(seq: number): void {
    this.#lastHandedSeq = seq;
  }

  /** Replay frames: drained before anything live. */
  backlog(frame: Frame): void {
    if (this.#stopped) return;
    this.#backlog.push(queued(frame));
    this.#pump();
  }

  live(frame: Frame): void {
    if (this.#stopped) return;
    if (this.#live.length >= this.#liveLimit) {
      this.stop();
      this.#onOverflow();
      return;
    }
    this.#live.push(queued(frame));
    this.#pump();
  }

  stop(): void {
    this.#stopped = true;
    this.#backlog = [];
    this.#live = [];
  }

  #pump(): void {
    while (!this.#stopped && this.#inFlight < IN_FLIGHT_WINDOW) {
      const next = this.#backlog.length > 0 ? this.#backlog.shift() : this.#live.shift();
      if (next === undefined) return;
      this.#inFlight++;
      if (next.seq !== null) this.#lastHandedSeq = next.seq;
      this.#socket.send(next.text, () => {
        this.#inFlight--;
        this.#pump();
      });
    }
  }
}

type Frame = { seq?: number } | object;
interface QueuedFrame {
  seq: number | null;
  text: string;
}

/**
 * Each event is serialised once, however many sockets it goes to: in-process, every subscriber
 * receives the same (never mutated) envelope object, and with 100 clients the per-socket
 * `JSON.stringify` was most of the fan-out's CPU.
 */
const serialised = new WeakMap<object, string>();

function queued(frame: Frame): QueuedFrame {
  const seq = 'seq' in frame && typeof frame.seq === 'number' ? frame.seq : null;
  let text = serialised.get(frame);
  if (text === undefined) {
    text = JSON.stringify(frame);
    serialised.set(frame, text);
  }
  return { seq, text };
}
