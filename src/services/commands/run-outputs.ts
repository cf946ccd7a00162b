import { StringDecoder } from 'node:string_decoder';
import type { Bus } from '../../bus/bus.js';
import type { Subjects } from '../../bus/subjects.js';
import type { OutputTotals } from '../../../machines/commandRun.summary.js';
import type { OutputStream } from '../../processes/process-runner.js';
import { attachOutputBytes } from '../events/output-bytes.js';
import { OutputBuffer } from './output-buffer.js';

/**
 * What a finished run's output costs beyond its bytes (two buffers, two decoders, a map entry:
 * about 2 KiB measured, heap and native), counted against the retained budget so that runs
 * printing nothing are evicted too.
 */
const RUN_OUTPUT_OVERHEAD_BYTES = 2048;

/** Puts one chunk on the bus as `system.command.stdout|stderr`. */
export type OutputPublisher = (stream: OutputStream, data: { runId: string; offset: number; bytes: number; chunk: string }) => void;

/** Most stream switches remembered per run; a run that alternates more loses its order (reported as null). */
const MAX_SEGMENTS = 20_000;

/** The output of one run: two bounded buffers, their interleaving, and the live events. */
export class RunOutput {
  readonly stdout: OutputBuffer;
  readonly stderr: OutputBuffer;
  /** Consecutive buffered byte ranges in the order written; `null` once too fragmented to keep. */
  #segments: Array<{ stream: OutputStream; offset: number; bytes: number }> | null = [];
  readonly #decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  readonly #publish: OutputPublisher;
  readonly runId: string;
  ended = false;

  constructor(runId: string, limit: number, publish: OutputPublisher) {
    this.runId = runId;
    this.stdout = new OutputBuffer(limit);
    this.stderr = new OutputBuffer(limit);
    this.#publish = publish;
  }

  /** Buffers the chunk (up to the limit) and streams it as an event, whole, whatever the buffer holds. */
  write(stream: OutputStream, chunk: Buffer): void {
    const buffer = this[stream];
    const offset = buffer.totalBytes;
    buffer.append(chunk);
    this.#remember(stream, offset, buffer.bufferedBytes - Math.min(offset, buffer.bufferedBytes));
    // A character split across reads is carried whole by the later chunk. The raw bytes go along
    // for sockets that take binary output frames.
    this.#publish(stream, attachOutputBytes({ runId: this.runId, offset, bytes: chunk.length, chunk: this.#decoders[stream].write(chunk) }, chunk));
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = this.#decoders[stream].end();
      if (rest) this.#publish(stream, { runId: this.runId, offset: this[stream].totalBytes, bytes: 0, chunk: rest });
      this[stream].end();
    }
  }

  /** Which bytes of which stream came first: the true interleaving of what the buffers hold. */
  interleaving(): Array<{ stream: OutputStream; offset: number; bytes: number }> | null {
    return this.#segments ? this.#segments.map((segment) => ({ ...segment })) : null;
  }

  #remember(stream: OutputStream, offset: number, bytes: number): void {
    if (!this.#segments || bytes <= 0) return;
    const last = this.#segments.at(-1);
    if (last && last.stream === stream && last.offset + last.bytes === offset) last.bytes += bytes;
    else if (this.#segments.length >= MAX_SEGMENTS) this.#segments = null;
    else this.#segments.push({ stream, offset, bytes });
  }

  totals(): OutputTotals {
    return { stdoutBytes: this.stdout.totalBytes, stderrBytes: this.stderr.totalBytes, partialOutput: this.stdout.partial || this.stderr.partial };
  }

  /** Memory a finished run's output holds: its buffers plus a fixed cost for the run's bookkeeping. */
  get retainedBytes(): number {
    return this.stdout.capacityBytes + this.stderr.capacityBytes + RUN_OUTPUT_OVERHEAD_BYTES;
  }
}

/**
 * Output of runs, in memory only (never written to disk). Live runs keep theirs; finished runs
 * keep theirs until the retained total passes its budget, oldest dropped first.
 */
export class RunOutputs {
  readonly #live = new Map<string, RunOutput>();
  /** Finished runs, oldest first (Map iteration order). */
  readonly #finished = new Map<string, RunOutput>();
  #finishedBytes = 0;

  constructor(
    private readonly options: { bus: Bus; subjects: Subjects; bufferBytes: () => number; retainedBytes: () => number },
  ) {}

  open(runId: string): RunOutput {
    const { bus, subjects } = this.options;
    const output = new RunOutput(runId, this.options.bufferBytes(), (stream, data) => {
      try {
        bus.publish(subjects.event(stream === 'stdout' ? 'system.command.stdout' : 'system.command.stderr'), data);
      } catch {
        // The bus is closing with the bridge: the run is being interrupted anyway.
      }
    });
    this.#live.set(runId, output);
    return output;
  }

  get(runId: string): RunOutput | undefined {
    return this.#live.get(runId) ?? this.#finished.get(runId);
  }

  /** The run's process is gone: its output becomes evictable. */
  finish(runId: string): void {
    const output = this.#live.get(runId);
    if (!output) return;
    this.#live.delete(runId);
    this.#finished.set(runId, output);
    this.#finishedBytes += output.retainedBytes;
    const budget = this.options.retainedBytes();
    for (const [oldId, old] of this.#finished) {
      if (this.#finishedBytes <= budget) break;
      this.#finished.delete(oldId);
      this.#finishedBytes -= old.retainedBytes;
    }
  }
}
