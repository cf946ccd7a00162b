import { vi } from 'vitest';
import { BridgeClientError } from '../../src/client/errors.js';
import type { EventSocket, SocketFactory, SocketHandlers } from '../../src/client/socket.js';

/** One connection attempt, driven by the test as the bridge would. */
export interface FakeAttempt {
  url: URL;
  /** Close code the client asked for, once it closed this socket. */
  closedByClient: number | undefined;
  /** Messages the client sent on this socket, parsed. */
  sentByClient: unknown[];
  open(): void;
  send(frame: object): void;
  /** A binary frame, as a socket opened with `outputFrames=binary` gets output chunks. */
  sendBinary(frame: Uint8Array): void;
  events(...seqs: number[]): void;
  ready(lastSeq: number, replayed?: number): void;
  /** The bridge (or the network) closes the socket. */
  close(code: number, opened?: boolean): void;
  refuse(status: number, code: string, details?: Record<string, unknown>): void;
}

/** An in-memory twin of the platform socket: each `connect` becomes an attempt the test drives. */
export function fakeSockets() {
  const attempts: FakeAttempt[] = [];
  const connect: SocketFactory = async (url: string, handlers: SocketHandlers): Promise<EventSocket> => {
    let done = false;
    const attempt: FakeAttempt = {
      url: new URL(url),
      closedByClient: undefined,
      sentByClient: [],
      open: () => handlers.open(),
      send: (frame) => {
        if (!done) handlers.message(JSON.stringify(frame));
      },
      sendBinary: (frame) => {
        if (!done) handlers.binary?.(frame);
      },
      events: (...seqs) => {
        for (const seq of seqs) attempt.send({ seq, type: 'session.refreshed', ts: new Date(0).toISOString(), data: { sessionId: 'ses_1', expiresAt: new Date(0).toISOString() } });
      },
      ready: (lastSeq, replayed = 0) => attempt.send({ type: 'ready', lastSeq, replayed }),
      close: (code, opened = true) => {
        if (done) return;
        done = true;
        handlers.closed(code, '', opened);
      },
      refuse: (status, code, details) => {
        if (done) return;
        done = true;
        handlers.refused(new BridgeClientError(code as never, `refused ${status}`, { status, ...(details ? { details } : {}) }));
      },
    };
    attempts.push(attempt);
    return {
      send(text) {
        attempt.sentByClient.push(JSON.parse(text));
      },
      close(code) {
        attempt.closedByClient = code ?? 1000;
        queueMicrotask(() => attempt.close(code ?? 1000));
      },
    };
  };
  /** Waits for the `n`-th attempt (1-based) to be made. */
  const attempt = async (n: number): Promise<FakeAttempt> => {
    await vi.waitFor(() => {
      if (attempts.length < n) throw new Error(`only ${attempts.length} attempts so far`);
    });
    return attempts[n - 1]!;
  };
  return { connect, attempts, attempt };
}
