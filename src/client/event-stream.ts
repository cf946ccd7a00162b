import { WS_CLOSE_SESSION_EXPIRED } from '../contract/constants.js';
import { BridgeClientError, ReplayGapError, isTransient, unavailableError } from './errors.js';
import { promptResolveResultFrameSchema, type PromptResolveResultFrame } from '../contract/ws-messages.js';
import { OutputChunkDecoder } from './output-chunks.js';
import { PromptAnswers, type PromptAnswer, type PromptResolveResult } from './prompt-answers.js';
import type { BridgeEvent } from './route-types.js';
import type { EventSocket, SocketFactory } from './socket.js';

export interface EventStreamOptions {
  /** Event types to receive; `*` matches one dotted token, `>` the rest (`system.command.*`). */
  types?: readonly string[];
  /** Replay every event after this seq, then go live. Omitted: live from now. */
  since?: number;
  /** Ends the iteration (normally, without an error) when aborted. */
  signal?: AbortSignal;
  /**
   * How command output chunks travel: `binary` (the default here) as binary frames of raw bytes,
   * decoded back into the same events; `json` as JSON text like every other event.
   */
  outputFrames?: 'binary' | 'json';
}

/** An async iterable of events that survives reconnections; see `BridgeClient.events`. */
export interface BridgeEventStream extends AsyncIterableIterator<BridgeEvent> {
  /**
   * Where to resume from (pass it as `since`): every event up to it was yielded or filtered out.
   * Undefined until the first connection was ready, when no `since` was given.
   */
  readonly lastSeq: number | undefined;
  /**
   * Answers a permission prompt on this stream's socket (`prompt.resolve`), with the same rules
   * as `POST …/prompts/:promptId/resolve`, and resolves with that route's reply (the
   * `prompt.resolve.result` frame). It waits for a connected socket; a refusal is a
   * `BridgeClientError` with its code, and a socket lost before the result rejects `unavailable`.
   */
  resolvePrompt(promptId: string, answer: PromptAnswer): Promise<PromptResolveResult>;
  /** Ends the iteration; a pending `next()` resolves as done. */
  close(): void;
}

/** What the stream needs from the client; tests hand in fakes. */
export interface EventStreamDeps {
  connect: SocketFactory;
  /** The socket URL for one attempt, with the credentials current at that moment. */
  url(since: number | undefined): { url: string; sessionToken: string | null };
  /**
   * After a 401 refusal or a 4001 close: hand-shake again. False when the stream has no session
   * it may renew (a UI token, or none ever made); the refusal is then final.
   */
  reauthenticate(refusedToken: string | null): Promise<boolean>;
  /**
   * After a socket that never opened: browsers hide the refusal's status, so an authenticated
   * request finds out (and re-hand-shakes on a 401). Throws what that request threw.
   */
  probe(): Promise<void>;
  backoff?: { initialMs: number; maxMs: number };
  random?: () => number;
  /** Events queued unread before the socket is closed, to reconnect once they are read. */
  highWaterMark?: number;
  /** Called once when the stream ends, whatever the reason. */
  onFinish?: () => void;
}

type Outcome =
  | { kind: 'closed'; code: number; opened: boolean; ready: boolean; sessionToken: string | null }
  | { kind: 'refused'; error: BridgeClientError; sessionToken: string | null }
  | { kind: 'gap'; error: ReplayGapError }
  | { kind: 'paused' }
  | { kind: 'ended' };

const DEFAULT_BACKOFF = { initialMs: 250, maxMs: 10_000 };
const DEFAULT_HIGH_WATER_MARK = 1_000;

/**
 * One logical subscription over many sockets: it reconnects with backoff and resumes with
 * `since` = the last seq received, dropping any seq already seen, so consumers see no gap and no
 * duplicate. A `replay_gap` ends it with `ReplayGapError` after the events received before it.
 */
export class EventStream implements BridgeEventStream {
  readonly #deps: EventStreamDeps;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = () => this.close();
  readonly #queue: BridgeEvent[] = [];
  /** Highest seq received (or announced by `ready`): the next connection's `since`. */
  #cursor: number | undefined;
  #ended = false;
  #finished = false;
  #failure: { error: unknown } | undefined;
  #waiter: { resolve(result: IteratorResult<BridgeEvent>): void; reject(error: unknown): void } | undefined;
  #socket: EventSocket | undefined;
  /** Cut a backoff sleep short (on close). */
  #wakeSleep: (() => void) | undefined;
  /** Wakes a paused stream once the consumer has read its queue. */
  #wakeDrained: (() => void) | undefined;
  #settleAttempt: ((outcome: Outcome) => void) | undefined;
  readonly #answers = new PromptAnswers();
  /** Kept across reconnections: a resumed socket goes on with the next chunk. */
  readonly #outputChunks = new OutputChunkDecoder();
  /** Whether the current socket said `ready` (it is open and subscribed). */
  #socketReady = false;
  /** Answers waiting for a ready socket. */
  #liveWaiters: Array<() => void> = [];

  constructor(deps: EventStreamDeps, options: EventStreamOptions = {}) {
    if (options.since !== undefined && !(Number.isInteger(options.since) && options.since >= 0)) {
      throw new TypeError(`events(): "since" must be a non-negative integer; received ${JSON.stringify(options.since)}.`);
    }
    this.#deps = deps;
    this.#cursor = options.since;
    this.#signal = options.signal;
    if (this.#signal?.aborted) {
      this.#finish();
      return;
    }
    this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
    void this.#run();
  }

  get lastSeq(): number | undefined {
    const first = this.#queue[0];
    return first ? first.seq - 1 : this.#cursor;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<BridgeEvent>> {
    const event = this.#queue.shift();
    if (event) {
      if (this.#queue.length === 0) this.#wakeDrained?.();
      return Promise.resolve({ value: event, done: false });
    }
    if (this.#finished) {
      const failure = this.#failure;
      this.#failure = undefined;
      return failure ? Promise.reject(failure.error) : Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<BridgeEvent>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  async resolvePrompt(promptId: string, answer: PromptAnswer): Promise<PromptResolveResult> {
    while (!(this.#socket && this.#socketReady)) {
      if (this.#ended || this.#finished) throw new BridgeClientError('unavailable', 'The event stream has ended.');
      await new Promise<void>((resolve) => this.#liveWaiters.push(resolve));
    }
    return this.#answers.send(this.#socket, promptId, answer);
  }

  #wakeLiveWaiters(): void {
    const waiters = this.#liveWaiters;
    this.#liveWaiters = [];
    for (const wake of waiters) wake();
  }

  close(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#answers.failAll('The event stream was closed');
    this.#wakeLiveWaiters();
    this.#queue.length = 0;
    this.#socket?.close(1000, 'client closed the stream');
    this.#settleAttempt?.({ kind: 'ended' });
    this.#wakeSleep?.();
    this.#wakeDrained?.();
    this.#finish();
  }

  async #run(): Promise<void> {
    let attempt = 0;
    let reauthenticatedLastTime = false;
    while (!this.#ended) {
      const outcome = await this.#connectOnce();
      if (this.#ended || outcome.kind === 'ended') return;

      if (outcome.kind === 'gap') return this.#finish(outcome.error);
      if (outcome.kind === 'paused') {
        await this.#until(() => this.#queue.length === 0);
        attempt = 0;
        continue;
      }
      if (outcome.kind === 'closed' && outcome.ready) attempt = 0;

      const unauthorized =
        (outcome.kind === 'refused' && outcome.error.code === 'unauthorized') ||
        (outcome.kind === 'closed' && outcome.code === WS_CLOSE_SESSION_EXPIRED);
      if (unauthorized && !reauthenticatedLastTime) {
        reauthenticatedLastTime = true;
        const refusal = outcome.kind === 'refused' ? outcome.error : new BridgeClientError('unauthorized', 'The session expired.', { details: { reason: 'expired' } });
        const next = await this.#reauthenticate(outcome.sessionToken, refusal);
        if (next === 'stop') return;
        if (next === 'now') continue;
      } else {
        reauthenticatedLastTime = false;
        if (outcome.kind === 'refused' && !isTransient(outcome.error) && outcome.error.code !== 'unauthorized') return this.#finish(outcome.error);
        if (outcome.kind === 'closed' && !outcome.opened) {
          try {
            await this.#deps.probe();
          } catch (error) {
            if (!isTransient(error)) return this.#finish(error);
          }
        }
      }
      if (this.#ended) return;
      await this.#sleep(this.#delay(attempt++));
    }
  }

  /** `now`: reconnect at once; `later`: back off first; `stop`: the stream failed. */
  async #reauthenticate(refusedToken: string | null, refusal: BridgeClientError): Promise<'now' | 'later' | 'stop'> {
    try {
      if (await this.#deps.reauthenticate(refusedToken)) return 'now';
      this.#finish(refusal);
      return 'stop';
    } catch (error) {
      if (isTransient(error)) return 'later';
      this.#finish(error);
      return 'stop';
    }
  }

  #connectOnce(): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => {
      let settled = false;
      const settle = (outcome: Outcome) => {
        if (settled) return;
        settled = true;
        this.#settleAttempt = undefined;
        this.#socket = undefined;
        this.#socketReady = false;
        this.#answers.failAll('The event socket closed before the bridge answered');
        resolve(outcome);
      };
      this.#settleAttempt = settle;

      let target: { url: string; sessionToken: string | null };
      try {
        target = this.#deps.url(this.#cursor);
      } catch (error) {
        settle({ kind: 'refused', error: error instanceof BridgeClientError ? error : unavailableError(error), sessionToken: null });
        return;
      }
      let ready = false;
      /** Set when this side ends the socket, so its close is reported as why. */
      let stopping: Outcome | undefined;
      let socket: EventSocket | undefined;
      const stop = (outcome: Outcome) => {
        stopping ??= outcome;
        socket?.close(1000, outcome.kind);
      };
      const received = (event: BridgeEvent) => {
        if (this.#cursor !== undefined && event.seq <= this.#cursor) return;
        this.#cursor = event.seq;
        this.#push(event);
        if (this.#queue.length >= (this.#deps.highWaterMark ?? DEFAULT_HIGH_WATER_MARK)) stop({ kind: 'paused' });
      };

      this.#deps
        .connect(target.url, {
          open: () => {},
          message: (text) => {
            if (stopping || this.#ended) return;
            const frame = parseFrame(text);
            if (frame.kind === 'event') {
              this.#outputChunks.sawJson(frame.event);
              received(frame.event);
            } else if (frame.kind === 'answer') {
              this.#answers.settle(frame.frame);
            } else if (frame.kind === 'ready') {
              ready = true;
              this.#socketReady = true;
              this.#wakeLiveWaiters();
              // Everything up to lastSeq was replayed before this frame: safe to resume from.
              this.#cursor = Math.max(this.#cursor ?? 0, frame.lastSeq);
            } else if (frame.kind === 'gap') {
              stop({ kind: 'gap', error: frame.error });
            }
          },
          binary: (bytes) => {
            if (stopping || this.#ended) return;
            // Anything else binary (a newer bridge's) is skipped, like unknown text frames.
            const event = this.#outputChunks.decode(bytes);
            if (event) received(event);
          },
          refused: (error) => settle({ kind: 'refused', error, sessionToken: target.sessionToken }),
          closed: (code, _reason, opened) => settle(stopping ?? { kind: 'closed', code, opened, ready, sessionToken: target.sessionToken }),
        })
        .then(
          (opened) => {
            socket = opened;
            if (settled) return;
            this.#socket = opened;
            this.#wakeLiveWaiters();
            if (stopping) opened.close(1000, stopping.kind);
          },
          (error: unknown) => settle({ kind: 'refused', error: unavailableError(error), sessionToken: target.sessionToken }),
        );
    });
  }

  #push(event: BridgeEvent): void {
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter.resolve({ value: event, done: false });
    } else {
      this.#queue.push(event);
    }
  }

  /** No more events: the waiter (if any) gets done, or the failure once the queue is read. */
  #finish(error?: unknown): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#wakeLiveWaiters();
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#deps.onFinish?.();
    if (error !== undefined) this.#failure = { error };
    const waiter = this.#waiter;
    if (!waiter) return;
    this.#waiter = undefined;
    const failure = this.#failure;
    this.#failure = undefined;
    if (failure) waiter.reject(failure.error);
    else waiter.resolve({ value: undefined, done: true });
  }

  #delay(attempt: number): number {
    const { initialMs, maxMs } = this.#deps.backoff ?? DEFAULT_BACKOFF;
    const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
    // Jitter spreads the reconnections of many tabs after a bridge restart.
    return ceiling / 2 + (this.#deps.random ?? Math.random)() * (ceiling / 2);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wakeSleep = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wakeSleep = done;
    });
  }

  async #until(condition: () => boolean): Promise<void> {
    while (!condition() && !this.#ended) {
      await new Promise<void>((resolve) => {
        this.#wakeDrained = () => {
          this.#wakeDrained = undefined;
          resolve();
        };
      });
    }
  }
}

type Frame =
  | { kind: 'event'; event: BridgeEvent }
  | { kind: 'ready'; lastSeq: number }
  | { kind: 'gap'; error: ReplayGapError }
  | { kind: 'answer'; frame: PromptResolveResultFrame }
  | { kind: 'other' };

/** Frames are small JSON objects; anything unrecognised (a newer bridge's extras) is skipped. */
export function parseFrame(text: string): Frame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'other' };
  }
  if (typeof value !== 'object' || value === null) return { kind: 'other' };
  const frame = value as Record<string, unknown>;
  if (typeof frame.seq === 'number' && typeof frame.type === 'string' && typeof frame.ts === 'string') {
    return { kind: 'event', event: frame as unknown as BridgeEvent };
  }
  if (frame.type === 'prompt.resolve.result') {
    const answer = promptResolveResultFrameSchema.safeParse(frame);
    return answer.success ? { kind: 'answer', frame: answer.data } : { kind: 'other' };
  }
  if (frame.type === 'ready' && typeof frame.lastSeq === 'number') return { kind: 'ready', lastSeq: frame.lastSeq };
  if (frame.type === 'replay_gap' && typeof frame.requestedSince === 'number' && typeof frame.oldestAvailable === 'number') {
    return {
      kind: 'gap',
      error: new ReplayGapError({
        requestedSince: frame.requestedSince,
        oldestAvailable: frame.oldestAvailable,
        message: typeof frame.message === 'string' ? frame.message : `Events after ${frame.requestedSince} are no longer buffered.`,
      }),
    };
  }
  return { kind: 'other' };
}
