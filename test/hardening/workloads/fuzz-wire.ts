import net from 'node:net';
import WebSocket from 'ws';

/**
 * The fuzzer's two clients: raw HTTP/1.1 over a socket (so that a request can be anything a peer
 * could send: bodies on GET, bad bytes in the path, conflicting lengths), and the `ws` client for
 * frames once a socket is open.
 */

export interface WireRequest {
  method: string;
  /** The request target, sent exactly as written. */
  target: string;
  /** Header lines, in order, duplicates allowed; `Host` is not added for you. */
  headers: Array<[string, string]>;
  body?: string | Buffer;
  /** Send the body with `Transfer-Encoding: chunked` instead of `Content-Length`. */
  chunked?: boolean;
  /** Replaces the whole request with these bytes (request-line fuzzing). */
  raw?: string | Buffer;
}

export interface WireReply {
  status: number;
  head: string;
  headers: Record<string, string>;
  body: string;
}

export type WireOutcome = { reply: WireReply } | { error: string };

/** Serializes a request; what goes on the wire, byte for byte. */
export function requestBytes(request: WireRequest): Buffer {
  if (request.raw !== undefined) return Buffer.isBuffer(request.raw) ? request.raw : Buffer.from(request.raw, 'latin1');
  const body = request.body === undefined ? undefined : Buffer.isBuffer(request.body) ? request.body : Buffer.from(request.body, 'utf8');
  const lines = [`${request.method} ${request.target} HTTP/1.1`, ...request.headers.map(([name, value]) => `${name}: ${value}`)];
  if (body !== undefined && request.chunked) lines.push('Transfer-Encoding: chunked');
  else if (body !== undefined) lines.push(`Content-Length: ${body.length}`);
  lines.push('Connection: close', '', '');
  const head = Buffer.from(lines.join('\r\n'), 'latin1');
  if (body === undefined) return head;
  if (!request.chunked) return Buffer.concat([head, body]);
  return Buffer.concat([head, Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]);
}

/** Sends one request on a fresh connection and reads the reply until the server closes it. */
export function sendWire(port: number, request: WireRequest, timeoutMs: number): Promise<WireOutcome> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (outcome: WireOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish(parsed() ?? { error: `no reply within ${timeoutMs} ms` }), timeoutMs);
    const parsed = (): WireOutcome | null => {
      const reply = parseReply(Buffer.concat(chunks));
      return reply ? { reply } : null;
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      // A raw request may ask for keep-alive, and an accepted upgrade stays open: a complete
      // reply is the answer, whether or not the server closes after it.
      const reply = parseReply(Buffer.concat(chunks), true);
      if (reply) finish({ reply });
    });
    socket.on('end', () => finish(parsed() ?? { error: 'connection closed without a reply' }));
    // A server that answers 413 and closes may do so while the body is still being written.
    socket.on('error', (error: NodeJS.ErrnoException) => finish(parsed() ?? { error: `${error.code ?? error.message}` }));
    socket.on('close', () => finish(parsed() ?? { error: 'connection closed without a reply' }));
    socket.write(requestBytes(request));
  });
}

/**
 * Parses the first final reply of a byte stream (status line, headers, de-chunked body); interim
 * 1xx replies (100 Continue) are skipped. With `complete`, null until the body has fully arrived.
 */
export function parseReply(data: Buffer, complete = false): WireReply | null {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = data.subarray(0, end).toString('latin1');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const status = Number(statusLine.split(' ')[1]);
  if (!Number.isInteger(status)) return null;
  if (status >= 100 && status < 200 && status !== 101) return parseReply(data.subarray(end + 4), complete);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = data.subarray(end + 4);
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
    if (complete && !body.includes('0\r\n\r\n')) return null;
    body = dechunk(body);
  } else if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    if (complete && body.length < length) return null;
    body = body.subarray(0, length);
  } else if (complete && status !== 101 && status !== 204 && status !== 304) {
    return null;
  }
  return { status, head, headers, body: body.toString('utf8') };
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < data.length) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (!size) break;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------------
// WebSocket frames

export type FrameAction =
  | { kind: 'text'; data: string }
  | { kind: 'binary'; data: Uint8Array }
  | { kind: 'huge'; bytes: number; binary: boolean }
  | { kind: 'invalid_utf8'; data: Uint8Array }
  | { kind: 'ping'; data: Uint8Array }
  | { kind: 'fragments'; parts: string[] };

export interface WsCase {
  path: '/ws/v1/events' | '/ws/v1/ui/inspector';
  query: string;
  headers: Record<string, string>;
  perMessageDeflate: boolean;
  frames: FrameAction[];
  /**
   * Frames owed one answer each (`reply` or `prompt.resolve.result`): the case then waits for all
   * of them, not for the first frame, and reports them.
   */
  answers?: number;
  /** A frame over the socket's limit is among them: a close 1009 may cut the answers short. */
  oversized?: boolean;
}

/** A `reply` or `prompt.resolve.result` frame the server sent, parsed. */
export interface AnswerFrame {
  type: 'reply' | 'prompt.resolve.result';
  id?: unknown;
  status?: unknown;
  body?: unknown;
  error?: unknown;
}

export type WsOutcome =
  | { kind: 'refused'; status: number; body: string }
  | { kind: 'served'; greeted: boolean; serverClose: { code: number; reason: string } | null; answers: AnswerFrame[] }
  | { kind: 'error'; error: string };

/**
 * Opens the socket, sends the frames, waits for the first server frame or a close, then closes
 * from the client side. `serverClose` is set when the server closed first.
 */
export function runWsCase(port: number, wsCase: WsCase, timeoutMs: number): Promise<WsOutcome> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}${wsCase.path}${wsCase.query}`, {
      headers: wsCase.headers,
      perMessageDeflate: wsCase.perMessageDeflate,
      maxPayload: 64 * 1024 * 1024,
    });
    let settled = false;
    let clientClosing = false;
    let greeted = false;
    const answers: AnswerFrame[] = [];
    const finish = (outcome: WsOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.terminate();
      resolve(outcome);
    };
    const timer = setTimeout(
      () => finish({ kind: 'error', error: wsCase.answers === undefined ? `neither greeted nor closed within ${timeoutMs} ms` : `${answers.length} of ${wsCase.answers} frames answered within ${timeoutMs} ms` }),
      timeoutMs,
    );
    socket.once('unexpected-response', (_request, response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => finish({ kind: 'refused', status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', () => finish({ kind: 'refused', status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    socket.on('error', (error) => {
      // After the server closed on a bad frame, the client may still be writing: not a failure.
      if (!settled && socket.readyState !== WebSocket.CLOSING && socket.readyState !== WebSocket.CLOSED) finish({ kind: 'error', error: error.message });
    });
    socket.on('close', (code, reason) => {
      finish({ kind: 'served', greeted, serverClose: clientClosing ? null : { code, reason: reason.toString() }, answers });
    });
    const closeFromClient = () => {
      if (socket.readyState !== WebSocket.OPEN) return;
      clientClosing = true;
      socket.close(1000, 'fuzz case done');
    };
    socket.on('message', (data, isBinary) => {
      greeted = true;
      if (wsCase.answers === undefined) return closeFromClient();
      const frame = isBinary ? null : (JSON.parse(String(data)) as AnswerFrame | null);
      if (frame?.type === 'reply' || frame?.type === 'prompt.resolve.result') answers.push(frame);
      if (answers.length >= wsCase.answers) closeFromClient();
    });
    socket.once('open', () => {
      for (const frame of wsCase.frames) {
        if (socket.readyState !== WebSocket.OPEN) break;
        sendFrame(socket, frame);
      }
      // The desktop socket carries only `show` requests: nothing greets it.
      if (wsCase.query.includes('desktop=1') || wsCase.answers === 0) setImmediate(closeFromClient);
    });
  });
}

function sendFrame(socket: WebSocket, frame: FrameAction): void {
  const ignore = () => {};
  switch (frame.kind) {
    case 'text':
      return socket.send(frame.data, ignore);
    case 'binary':
      return socket.send(frame.data, { binary: true }, ignore);
    case 'huge':
      return socket.send(Buffer.alloc(frame.bytes, 0x61), { binary: frame.binary }, ignore);
    case 'invalid_utf8':
      // `ws` does not validate what it sends: these bytes go out in a text frame.
      return socket.send(frame.data, { binary: false }, ignore);
    case 'ping':
      return socket.ping(frame.data.subarray(0, 125), undefined, ignore);
    case 'fragments':
      frame.parts.forEach((part, index) => socket.send(part, { fin: index === frame.parts.length - 1 }, ignore));
  }
}
