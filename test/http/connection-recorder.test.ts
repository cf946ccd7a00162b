import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { rawUntilClosed as rawUntilClosedOn, upgradeRequest } from '../support/raw-http.js';
import { handshake, startTestBridge, type TestBridge } from '../support/test-bridge.js';

let bridge: TestBridge;
beforeAll(async () => {
  bridge = await startTestBridge();
});
afterAll(() => bridge.close());

interface Entry {
  kind: string;
  method: string;
  path: string;
  status: number;
  sessionId: string | null;
  errorCode: string | null;
  durationMs: number | null;
}

async function newestEntries(limit: number): Promise<Entry[]> {
  const response = await fetch(`${bridge.baseUrl}/api/v1/ui/connections?limit=${limit}`, { headers: { 'x-osloop-ui-token': bridge.uiToken } });
  return ((await response.json()) as { entries: Entry[] }).entries;
}

const rawUntilClosed = (bytes: string) => rawUntilClosedOn(bridge.port(), bytes);

describe('the connection record of each request (taken when its reply is sent)', () => {
  it('records an authenticated route with its session and how long the bridge took to answer', async () => {
    const session = await handshake(bridge);
    expect((await fetch(`${bridge.baseUrl}/api/v1/bridge/info?x=secret`, { headers: session.headers })).status).toBe(200);
    const [entry] = await newestEntries(1);
    expect(entry).toMatchObject({ kind: 'route', method: 'GET', path: '/api/v1/bridge/info', status: 200, sessionId: session.sessionId, errorCode: null });
    expect(entry!.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('records what the guard refuses, with the error code replied', async () => {
    const session = await handshake(bridge);
    const refused = await fetch(`${bridge.baseUrl}/api/v1/bridge/info`, { headers: { ...session.headers, origin: 'https://evil.example' } });
    expect(refused.status).toBe(403);
    const [entry] = await newestEntries(1);
    expect(entry).toMatchObject({ kind: 'failure', path: '/api/v1/bridge/info', status: 403, errorCode: 'forbidden_origin' });
    expect(entry!.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('records a route that failed in its handler, and a refused token', async () => {
    const session = await handshake(bridge);
    const invalid = await fetch(`${bridge.baseUrl}/api/v1/bridge/info`, { headers: { ...session.headers, 'x-osloop-bridge-token': 'not-a-token' } });
    expect(invalid.status).toBe(401);
    const missing = await fetch(`${bridge.baseUrl}/api/v1/system/commands/runs/run_does_not_exist`, { headers: session.headers });
    expect(missing.status).toBe(404);
    const [second, first] = await newestEntries(2);
    expect(first).toMatchObject({ kind: 'failure', path: '/api/v1/bridge/info', status: 401, errorCode: 'unauthorized' });
    expect(second).toMatchObject({ kind: 'failure', path: '/api/v1/system/commands/runs/run_does_not_exist', status: 404, sessionId: session.sessionId });
  });

  it('records a refused upgrade as a failure', async () => {
    const closed = rawUntilClosed(upgradeRequest(bridge.port(), bridge.origin, '/ws/v1/events?sessionToken=wrong'));
    expect(await closed).toMatch(/^HTTP\/1\.1 401/);
    const [entry] = await newestEntries(1);
    expect(entry).toMatchObject({ kind: 'failure', path: '/ws/v1/events', status: 401, errorCode: 'unauthorized' });
  });
  it('records a path fastify cannot decode (no hook runs for it), without a duration', async () => {
    const response = await rawUntilClosed(`GET /api/v1/%zz?sessionToken=secret HTTP/1.1\r\nHost: 127.0.0.1:${bridge.port()}\r\nConnection: close\r\n\r\n`);
    expect(response).toMatch(/^HTTP\/1\.1 400/);
    const [entry] = await newestEntries(1);
    expect(entry).toMatchObject({ kind: 'failure', method: 'GET', path: '/api/v1/%zz', status: 400, errorCode: 'invalid_request', durationMs: null });
  });

  it('records what the HTTP parser refuses, with the request line as far as it was read and never its query', async () => {
    const response = await rawUntilClosed(`GET /api/v1/bridge/info?sessionToken=secret HTTP/1.1\r\nHost: 127.0.0.1:${bridge.port()}\r\nX-Bad: a\u0000b\r\n\r\n`);
    expect(response).toMatch(/^HTTP\/1\.1 400/);
    const [entry] = await newestEntries(1);
    expect(entry).toMatchObject({ kind: 'failure', method: 'GET', path: '/api/v1/bridge/info', status: 400, errorCode: 'invalid_request', durationMs: null });
    expect(JSON.stringify(await newestEntries(5))).not.toContain('secret');
  });
  it('records a request its client abandoned mid-body once, by its own path', async () => {
    const session = await handshake(bridge);
    const socket = net.connect({ host: '127.0.0.1', port: bridge.port() });
    // Node answers 100 Continue as it hands the request to fastify, which reads the body from then on.
    const continued = new Promise<void>((resolve) => socket.once('data', () => resolve()));
    const head = [`POST /api/v1/system/commands/execute HTTP/1.1`, `Host: 127.0.0.1:${bridge.port()}`, `Origin: ${bridge.origin}`, 'Content-Type: application/json'];
    socket.write([...head, `X-OSLOOP-BRIDGE-TOKEN: ${session.token}`, 'Content-Length: 100', 'Expect: 100-continue', '', ''].join('\r\n'));
    await continued;
    socket.end('{"comm');
    await vi.waitFor(async () => expect((await newestEntries(1))[0]).toMatchObject({ kind: 'failure', method: 'POST', path: '/api/v1/system/commands/execute', status: 400 }), { timeout: 30_000 });
    expect((await newestEntries(3)).filter((entry) => entry.path === '')).toEqual([]);
  });
});
