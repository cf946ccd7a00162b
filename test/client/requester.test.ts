import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isNode, undiciRequester } from '../../src/client/requester.js';
import { sendRoute } from '../../src/client/http.js';
import { ROUTES } from '../../src/contract/routes/index.js';
import { freePort } from '../support/free-port.js';

/** The Node requester (undici Pool) against a real HTTP server: what `fetch` did, without `fetch`. */
describe('the Node requester', () => {
  let server: http.Server;
  let baseUrl: string;
  const seen: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }> = [];
  beforeAll(async () => {
    server = http.createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        seen.push({ method: request.method!, url: request.url!, headers: request.headers, body });
        if (request.url === '/hang') return;
        response.writeHead(request.url === '/missing' ? 404 : 200, { 'content-type': 'application/json' });
        response.end(request.url === '/missing' ? '{"error":{"code":"not_found","message":"no"}}' : JSON.stringify({ echoed: body }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('is what the client uses on Node', () => {
    expect(isNode()).toBe(true);
  });

  it('sends method, path with query, headers and body, and reads status and text', async () => {
    const request = undiciRequester(baseUrl);
    const reply = await request(`${baseUrl}/api/v1/x?a=1&b=two`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://app.example' }, body: '{"k":1}' });
    expect(reply).toEqual({ status: 200, text: JSON.stringify({ echoed: '{"k":1}' }) });
    expect(seen.at(-1)).toMatchObject({ method: 'POST', url: '/api/v1/x?a=1&b=two', body: '{"k":1}', headers: { origin: 'https://app.example', 'content-type': 'application/json' } });
    expect((await request(`${baseUrl}/missing`, { method: 'GET', headers: {} })).status).toBe(404);
  });

  it('gives sendRoute the bridge\'s error reply as a BridgeClientError', async () => {
    const context = { baseUrl, origin: undefined, request: undiciRequester(baseUrl) };
    await expect(sendRoute(context, { ...ROUTES.bridgeInfo, path: '/missing' }, {}, { sessionToken: null, uiToken: null })).rejects.toMatchObject({ code: 'not_found', status: 404 });
  });

  it('rejects with the signal\'s reason when the caller aborts', async () => {
    const context = { baseUrl, origin: undefined, request: undiciRequester(baseUrl) };
    const controller = new AbortController();
    const pending = sendRoute(context, { ...ROUTES.bridgeInfo, path: '/hang' }, { signal: controller.signal }, { sessionToken: null, uiToken: null });
    await vi.waitFor(() => expect(seen.some((s) => s.url === '/hang')).toBe(true), { timeout: 20_000 });
    const reason = new Error('stop');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });

  it('says `unavailable` when nothing listens', async () => {
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const context = { baseUrl: nowhere, origin: undefined, request: undiciRequester(nowhere) };
    await expect(sendRoute(context, ROUTES.bridgeInfo, {}, { sessionToken: null, uiToken: null })).rejects.toMatchObject({ code: 'unavailable', status: null });
  });
});
