import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { endpointFetch } from '../../src/mcp/lean-fetch.js';
import { freePort } from '../support/free-port.js';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * A real HTTP server answering as an MCP endpoint can: JSON, an event stream written in steps
 * (the test says when the stream ends), a redirect, 202 and 204 without a body.
 */
describe('the fetch of an MCP endpoint', () => {
  let server: http.Server;
  let base: string;
  let endpoint: URL;
  const seen: Seen[] = [];
  let endStream: (() => void) | undefined;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += String(chunk)));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        const mode = req.headers['x-mode'];
        if (mode === 'stream') {
          res.writeHead(200, { 'content-type': 'text/event-stream', 'mcp-session-id': 'session-1' });
          res.write('event: message\ndata: {"first":true}\n\n');
          endStream = () => res.end('event: message\ndata: {"last":true}\n\n');
        } else if (mode === 'redirect') {
          res.writeHead(307, { location: '/elsewhere' }).end();
        } else if (mode === 'accepted') {
          res.writeHead(202).end();
        } else if (mode === 'none') {
          res.writeHead(204).end();
        } else {
          res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'] }).end('{"ok":true}');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    endpoint = new URL(`${base}/mcp`);
  });
  afterAll(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // The shared agent keeps its connections alive; they are not waited for.
        server.closeAllConnections();
      }),
  );

  const post = (mode: string, extra: RequestInit = {}) =>
    endpointFetch(endpoint)(endpoint, { method: 'POST', headers: new Headers({ 'content-type': 'application/json', 'x-mode': mode }), body: '{"jsonrpc":"2.0"}', redirect: 'manual', ...extra });

  it('sends the method, headers and body, and answers status, headers and body as fetch does', async () => {
    const response = await post('json');
    expect(response.status).toBe(200);
    expect(response.ok).toBe(true);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await response.json()).toEqual({ ok: true });
    expect(seen.at(-1)).toMatchObject({ method: 'POST', url: '/mcp', body: '{"jsonrpc":"2.0"}', headers: { 'content-type': 'application/json', 'x-mode': 'json' } });
  });

  it('hands on an event stream as it arrives, before the server ends it', async () => {
    const response = await post('stream');
    expect(response.headers.get('mcp-session-id')).toBe('session-1');
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!text.includes('"first"')) text += (await reader.read()).value ?? '';
    expect(text).not.toContain('"last"');
    endStream!();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += value;
    }
    expect(text).toContain('data: {"last":true}');
  });

  it('lets the reader cancel a stream that still has data coming (as the SDK does when a session closes)', async () => {
    const response = await post('stream');
    const reader = response.body!.getReader();
    await reader.read();
    await reader.cancel();
    // More data arrives after the cancel; it is dropped, and the next request is answered.
    endStream!();
    expect(await post('json').then((next) => next.json())).toEqual({ ok: true });
  });

  it('returns a redirect unfollowed, with its Location (the SDK follows redirects itself)', async () => {
    const response = await post('redirect');
    expect(response.status).toBe(307);
    expect(response.headers.get('location')).toBe('/elsewhere');
    expect(seen.filter((request) => request.url === '/elsewhere')).toEqual([]);
  });

  it.each([
    ['accepted', 202],
    ['none', 204],
  ])('answers %s (%i) with an empty body', async (mode, status) => {
    const response = await post(mode);
    expect(response.status).toBe(status);
    expect(await response.text()).toBe('');
  });

  it("rejects with the signal's reason when the request is aborted, before or while it runs", async () => {
    const reason = new Error('closed by the session');
    const before = new AbortController();
    before.abort(reason);
    await expect(post('json', { signal: before.signal })).rejects.toBe(reason);
    const during = new AbortController();
    const response = await post('stream', { signal: during.signal });
    const reader = response.body!.getReader();
    await reader.read();
    during.abort(reason);
    await expect(reader.read()).rejects.toBeDefined();
    endStream!();
  });

  it('fails an unreachable server as fetch does: TypeError "fetch failed" with the network cause', async () => {
    const port = await freePort();
    const unreachable = new URL(`http://127.0.0.1:${port}/mcp`);
    const failure = await endpointFetch(unreachable)(unreachable, { method: 'POST', body: '{}' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TypeError);
    expect(failure).toMatchObject({ message: 'fetch failed', cause: { code: 'ECONNREFUSED' } });
  });

  it('leaves any other URL to fetch (the OAuth endpoints, a redirect target)', async () => {
    const other = new URL(`${base}/other`);
    const response = await endpointFetch(endpoint)(other, { method: 'GET', headers: { 'x-mode': 'json' } });
    expect(await response.json()).toEqual({ ok: true });
    expect(response.url).toBe(other.href);
  });
});

/**
 * What a client sees when a server closes a kept-alive connection as a request reaches it (its
 * keep-alive timer ran before it read the request): the socket ends with no answer. A raw TCP
 * server plays it exactly, recording every request it read and on which connection.
 */
describe('the fetch of an MCP endpoint, when the server closes a kept-alive connection', () => {
  interface Read {
    connection: number;
    body: string;
  }
  let server: net.Server;
  let endpoint: URL;
  let reads: Read[];
  /** Bodies of the requests the server closed the connection on, unread. */
  let closed: string[];
  let sockets: net.Socket[];
  /** What the server does with the n-th request of a connection (from 1): answer, or close unanswered. */
  let closeOn: (requestOfConnection: number, connection: number) => 'close' | 'partial' | 'answer';

  beforeEach(async () => {
    reads = [];
    closed = [];
    let connections = 0;
    sockets = [];
    server = net.createServer((socket) => {
      sockets.push(socket);
      const connection = ++connections;
      let buffered = '';
      let requests = 0;
      socket.on('data', (chunk: Buffer) => {
        buffered += String(chunk);
        for (;;) {
          const end = buffered.indexOf('\r\n\r\n');
          if (end < 0) return;
          const length = Number(/content-length: (\d+)/i.exec(buffered.slice(0, end))?.[1] ?? 0);
          if (buffered.length < end + 4 + length) return;
          const body = buffered.slice(end + 4, end + 4 + length);
          buffered = buffered.slice(end + 4 + length);
          requests += 1;
          const verdict = closeOn(requests, connection);
          if (verdict === 'close') {
            closed.push(body);
            return void socket.end();
          }
          reads.push({ connection, body });
          if (verdict === 'partial') return void socket.end('HTTP/1.1 200 OK\r\ncontent-type: appl');
          const answer = JSON.stringify({ connection, echoed: body });
          socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(answer)}\r\nconnection: keep-alive\r\nkeep-alive: timeout=5\r\n\r\n${answer}`);
        }
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
  });
  afterEach(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // The shared agent keeps its connections alive; they are not waited for.
        for (const socket of sockets) socket.destroy();
      }),
  );

  const post = (body: string) => endpointFetch(endpoint)(endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  /**
   * Lets undici check the idle connection (it waits one turn of the event loop before reusing
   * one; a request sent sooner gets a new connection), as any pause between two calls does.
   */
  const idle = () => new Promise((resolve) => setImmediate(resolve));

  it('sends the request again on a new connection, once, and the server reads it once', async () => {
    closeOn = (request, connection) => (connection === 1 && request === 2 ? 'close' : 'answer');
    expect(await (await post('first')).json()).toEqual({ connection: 1, echoed: 'first' });
    await idle();
    expect(await (await post('second')).json()).toEqual({ connection: 2, echoed: 'second' });
    // It was sent on the kept-alive connection first, which the server closed with it unread.
    expect(closed).toEqual(['second']);
    expect(reads).toEqual([
      { connection: 1, body: 'first' },
      { connection: 2, body: 'second' },
    ]);
  });

  it('does not retry a fresh connection closed unanswered', async () => {
    closeOn = () => 'close';
    await expect(post('lost')).rejects.toMatchObject({ message: 'fetch failed', cause: { code: 'UND_ERR_SOCKET' } });
    expect(closed).toEqual(['lost']);
  });

  it('retries once only: a retry closed unanswered too fails', async () => {
    closeOn = () => 'answer';
    await (await post('first')).json();
    await idle();
    closeOn = () => 'close';
    await expect(post('lost again')).rejects.toMatchObject({ message: 'fetch failed', cause: { code: 'UND_ERR_SOCKET' } });
    // Sent on the kept-alive connection, then once on a new one, closed unanswered both times.
    expect(closed).toEqual(['lost again', 'lost again']);
    expect(reads.map((r) => r.body)).toEqual(['first']);
  });

  it('sends once more a request answered with part of its headers (undici reports it as it reports a reused socket closed)', async () => {
    closeOn = (_request, connection) => (connection === 1 ? 'partial' : 'answer');
    expect(await (await post('half-answered')).json()).toEqual({ connection: 2, echoed: 'half-answered' });
    expect(reads.map((r) => r.connection)).toEqual([1, 2]);
  });
});
