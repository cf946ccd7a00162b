import WebSocket from 'ws';

export interface FrameReader {
  socket: WebSocket;
  frames: Array<Record<string, unknown>>;
  /** Resolves once `predicate` holds for the frames received so far. */
  until(predicate: (frames: Array<Record<string, unknown>>) => boolean, timeoutMs?: number): Promise<Array<Record<string, unknown>>>;
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens the event socket and collects its JSON frames. */
export function openFrames(url: string, origin: string): Promise<FrameReader> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers: { origin } });
    const frames: Array<Record<string, unknown>> = [];
    const waiters = new Set<() => void>();
    const closed = new Promise<{ code: number; reason: string }>((done) => socket.on('close', (code, reason) => done({ code, reason: reason.toString() })));
    socket.on('message', (data) => {
      frames.push(JSON.parse(String(data)) as Record<string, unknown>);
      for (const check of waiters) check();
    });
    socket.once('unexpected-response', (_request, response) => reject(Object.assign(new Error(`upgrade refused: ${response.statusCode}`), { status: response.statusCode })));
    socket.once('error', reject);
    socket.once('open', () =>
      resolve({
        socket,
        frames,
        closed,
        until(predicate, timeoutMs = 10_000) {
          return new Promise((done, fail) => {
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(new Error(`frames never matched; got ${JSON.stringify(frames).slice(0, 500)}`));
            }, timeoutMs);
            const check = () => {
              if (!predicate(frames)) return;
              clearTimeout(timer);
              waiters.delete(check);
              done(frames);
            };
            waiters.add(check);
            check();
          });
        },
      }),
    );
  });
}
