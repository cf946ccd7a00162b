import { vi } from 'vitest';
import WebSocket from 'ws';

export interface RawFrame {
  type?: string;
  id?: string | null;
  status?: number;
  body?: Record<string, unknown> & { error?: { code: string; message: string; details?: Record<string, unknown> } };
  [key: string]: unknown;
}

/** A raw event socket, as a hostile page would hold it: every frame it received, and how it closed. */
export interface RawSocket {
  ws: WebSocket;
  frames: RawFrame[];
  closed: { code: number; reason: string } | null;
  send(frame: unknown): void;
  /** The first frame received (so far or later) that matches. */
  frame(match: (frame: RawFrame) => boolean, timeout?: number): Promise<RawFrame>;
  /** The reply to request `id`. */
  reply(id: string, timeout?: number): Promise<RawFrame>;
  untilClosed(timeout?: number): Promise<{ code: number; reason: string }>;
}

/** Opens `/ws/v1/events` with `query` and `origin` and waits for `ready`. */
export async function openRawSocket(baseUrl: string, query: Record<string, string>, origin: string): Promise<RawSocket> {
  const url = `${baseUrl.replace(/^http/, 'ws')}/ws/v1/events?${new URLSearchParams(query).toString()}`;
  const ws = new WebSocket(url, { origin, perMessageDeflate: false });
  const socket: RawSocket = {
    ws,
    frames: [],
    closed: null,
    send(frame) {
      ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
    },
    async frame(match, timeout = 30_000) {
      let found: RawFrame | undefined;
      await vi.waitFor(
        () => {
          found = socket.frames.find(match);
          if (!found) throw new Error(`no matching frame yet; got ${JSON.stringify(socket.frames).slice(0, 500)}`);
        },
        { timeout, interval: 5 },
      );
      return found!;
    },
    reply(id, timeout) {
      return socket.frame((f) => f.type === 'reply' && f.id === id, timeout);
    },
    async untilClosed(timeout = 30_000) {
      await vi.waitFor(
        () => {
          if (!socket.closed) throw new Error('still open');
        },
        { timeout, interval: 5 },
      );
      return socket.closed!;
    },
  };
  ws.on('message', (data, isBinary) => {
    if (!isBinary) socket.frames.push(JSON.parse(String(data)) as RawFrame);
  });
  ws.on('close', (code, reason) => {
    socket.closed = { code, reason: String(reason) };
  });
  ws.on('error', () => {});
  await socket.frame((f) => f.type === 'ready');
  return socket;
}
