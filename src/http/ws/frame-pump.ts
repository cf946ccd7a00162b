import type { WebSocket } from 'ws';
import { encodeOutputFrameHeader, type OutputFrameHeader } from '../../contract/output-frame.js';
import { outputBytesOf } from '../../services/events/output-bytes.js';

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
  /** Output chunks go as binary frames (`outputFrames=binary`); everything else stays JSON. */
  readonly #binaryOutput: boolean;
  #backlog: QueuedFrame[] = [];
  #live: QueuedFrame[] = [];
  #inFlight = 0;
  #stopped = false;
  #lastHandedSeq: number;

  constructor(socket: WebSocket, options: { liveLimit: number; startSeq: number; onOverflow: () => void; binaryOutput?: boolean }) {
    this.#socket = socket;
    this.#binaryOutput = options.binaryOutput ?? false;
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
    this.#backlog.push(queued(frame, this.#binaryOutput));
    this.#pump();
  }

  live(frame: Frame): void {
    if (!this.#roomForLive()) return;
    this.#live.push(queued(frame, this.#binaryOutput));
    this.#pump();
  }

  /** A live frame already serialised (a request's reply): no seq, never cached. */
  liveText(text: string): void {
    if (!this.#roomForLive()) return;
    this.#live.push({ seq: null, payload: text });
    this.#pump();
  }

  /** Whether one more live frame may queue; a full queue stops the pump and reports the overflow. */
  #roomForLive(): boolean {
    if (this.#stopped) return false;
    if (this.#live.length < this.#liveLimit) return true;
    this.stop();
    this.#onOverflow();
    return false;
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
      const sent = () => {
        this.#inFlight--;
        this.#pump();
      };
      if (typeof next.payload === 'string') this.#socket.send(next.payload, sent);
      else {
        // Two fragments of one binary message: the chunk's bytes are written as they are, never
        // copied behind the header.
        this.#socket.send(next.payload.header, { binary: true, fin: false });
        this.#socket.send(next.payload.bytes, { binary: true, fin: true }, sent);
      }
    }
  }
}

type Frame = { seq?: number } | object;
interface QueuedFrame {
  seq: number | null;
  /** A JSON text frame, or a binary output frame: its header, then the chunk's raw bytes. */
  payload: string | BinaryOutput;
}
interface BinaryOutput {
  header: Uint8Array;
  bytes: Uint8Array;
}

/**
 * Each event is serialised once, however many sockets it goes to: in-process, every subscriber
 * receives the same (never mutated) envelope object, and with 100 clients the per-socket
 * `JSON.stringify` was most of the fan-out's CPU. Binary frame headers are cached the same way.
 */
const serialised = new WeakMap<object, string>();
const binaryHeaders = new WeakMap<object, Uint8Array>();

function queued(frame: Frame, binaryOutput: boolean): QueuedFrame {
  const seq = 'seq' in frame && typeof frame.seq === 'number' ? frame.seq : null;
  if (binaryOutput && seq !== null) {
    const binary = binaryFrameOf(frame as { type?: unknown; data?: unknown });
    if (binary) return { seq, payload: binary };
  }
  let text = serialised.get(frame);
  if (text === undefined) {
    text = JSON.stringify(frame);
    serialised.set(frame, text);
  }
  return { seq, payload: text };
}

/**
 * The binary frame of an output event whose raw bytes are known. The end-of-stream event (no bytes,
 * only the decoder's last replacement character) and copies from another process have none: they
 * go as JSON.
 */
function binaryFrameOf(envelope: { type?: unknown; data?: unknown }): BinaryOutput | undefined {
  if (envelope.type !== 'system.command.stdout' && envelope.type !== 'system.command.stderr') return undefined;
  const bytes = outputBytesOf(envelope.data);
  if (!bytes) return undefined;
  let header = binaryHeaders.get(envelope);
  if (!header) {
    const { chunk: _chunk, ...data } = envelope.data as OutputFrameHeader['data'] & { chunk?: string };
    header = encodeOutputFrameHeader({ ...(envelope as OutputFrameHeader), data }, bytes.length);
    binaryHeaders.set(envelope, header);
  }
  return { header, bytes };
}
