import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
