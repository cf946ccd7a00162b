import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildBridgeClient } from '../../src/client/client.js';
import { BridgeClientError, ProtocolMismatchError, createBridgeClient } from '../../src/client/index.js';
import { fakeSockets } from './fake-socket.js';

interface Recorded {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/** A tiny bridge double: answers by `METHOD path`, records what it was sent. */
function fakeFetch(routes: Record<string, (request: Recorded) => { status: number; body?: unknown }>) {
  const requests: Recorded[] = [];
  const fetch = vi.fn(async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = String(input);
    const request: Recorded = {
      method: init.method ?? 'GET',
      url,
      headers: Object.fromEntries(Object.entries((init.headers ?? {}) as Record<string, string>)),
      body: init.body as string | undefined,
    };
    requests.push(request);
    const handler = routes[`${request.method} ${new URL(url).pathname}`];
    if (!handler) throw new TypeError('fetch failed');
    const reply = handler(request);
    return new Response(reply.body === undefined ? '' : JSON.stringify(reply.body), { status: reply.status });
  });
  return { fetch: fetch as unknown as typeof globalThis.fetch, requests };
}

const session = (n: number, ttlMs = 3_600_000) => ({
  sessionId: `ses_${n}`,
  sessionToken: `tok_${n}`,
  expiresAt: new Date(Date.now() + ttlMs).toISOString(),
  protocolVersion: 'osloop.bridge.v1',
});
const unauthorized = (reason: string) => ({ status: 401, body: { error: { code: 'unauthorized', message: `token ${reason}`, details: { reason } } } });
const info = { bridgeId: 'b1', name: 'osloop-bridge', protocolVersion: 'osloop.bridge.v1' };

afterEach(() => {
  vi.useRealTimers();
});

describe('createBridgeClient over a fake fetch', () => {
  it('hand-shakes with its origin, JSON content type, client name and protocol version', async () => {
    const { fetch, requests } = fakeFetch({ 'POST /api/v1/session/handshake': () => ({ status: 201, body: session(1) }) });
    const client = createBridgeClient({ baseUrl: 'http://127.0.0.1:9/', origin: 'http://localhost:3000', clientName: 'tests', fetch });
    await expect(client.handshake()).resolves.toMatchObject({ sessionId: 'ses_1' });
    expect(requests[0]).toMatchObject({
      url: 'http://127.0.0.1:9/api/v1/session/handshake',
      headers: { origin: 'http://localhost:3000', 'content-type': 'application/json' },
    });
    expect(JSON.parse(requests[0]!.body!)).toEqual({ protocolVersion: 'osloop.bridge.v1', clientName: 'tests' });
    expect(client.session?.sessionToken).toBe('tok_1');
    client.close();
  });

  it('shares one handshake between concurrent callers', async () => {
    const { fetch, requests } = fakeFetch({ 'POST /api/v1/session/handshake': () => ({ status: 201, body: session(requests.length) }) });
    const client = createBridgeClient({ fetch, autoRefresh: false });
    const [a, b] = await Promise.all([client.handshake(), client.handshake()]);
    expect(a).toBe(b);
    expect(requests).toHaveLength(1);
  });

  it('sends the session token, and no body on a GET', async () => {
    const { fetch, requests } = fakeFetch({
      'POST /api/v1/session/handshake': () => ({ status: 201, body: session(1) }),
      'GET /api/v1/bridge/info': () => ({ status: 200, body: info }),
    });
    const client = createBridgeClient({ fetch, autoRefresh: false });
    await client.handshake();
    await expect(client.api.bridgeInfo()).resolves.toEqual(info);
    expect(requests[1]!.headers['x-osloop-bridge-token']).toBe('tok_1');
    expect(requests[1]!.body).toBeUndefined();
  });

  it('sends an empty JSON body on a POST route that declares no body', async () => {
    const { fetch, requests } = fakeFetch({ 'POST /api/v1/system/commands/runs/r%2F1/terminate': () => ({ status: 200, body: { runId: 'r', state: 'terminated' } }) });
    const client = createBridgeClient({ fetch });
    await client.api.systemCommandsRunsTerminate({ params: { runId: 'r/1' } });
    expect(requests[0]).toMatchObject({ method: 'POST', body: '', headers: { 'content-type': 'application/json' } });
  });

  it('throws BridgeClientError with the code, status, message and details of an error reply', async () => {
    const { fetch } = fakeFetch({
      'GET /api/v1/mcp/servers': () => ({ status: 501, body: { error: { code: 'unsupported', message: 'Not yet.', details: { reason: 'not_implemented' } } } }),
    });
    const error = await createBridgeClient({ fetch }).api.mcpServersList().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BridgeClientError);
    expect(error).toMatchObject({ code: 'unsupported', status: 501, message: 'Not yet.', details: { reason: 'not_implemented' } });
  });

  it('reports a network failure as unavailable, with no status', async () => {
    const { fetch } = fakeFetch({});
    await expect(createBridgeClient({ fetch }).api.bridgeInfo()).rejects.toMatchObject({ code: 'unavailable', status: null });
  });

  it('rejects with the abort reason when the caller aborts', async () => {
    const controller = new AbortController();
    const fetch = vi.fn((_url: unknown, init: RequestInit) => new Promise<Response>((_resolve, reject) => init.signal!.addEventListener('abort', () => reject(init.signal!.reason))));
    const pending = createBridgeClient({ fetch: fetch as unknown as typeof globalThis.fetch }).api.bridgeInfo({ signal: controller.signal });
    controller.abort(new Error('changed my mind'));
    await expect(pending).rejects.toThrow('changed my mind');
  });

  it('hands-shake again once and retries a call refused because the session expired', async () => {
    let handshakes = 0;
    const { fetch, requests } = fakeFetch({
      'POST /api/v1/session/handshake': () => ({ status: 201, body: session(++handshakes) }),
      'GET /api/v1/bridge/info': (request) => (request.headers['x-osloop-bridge-token'] === 'tok_2' ? { status: 200, body: info } : unauthorized('expired')),
    });
    const client = createBridgeClient({ fetch });
    await client.handshake();
    await expect(client.api.bridgeInfo()).resolves.toEqual(info);
    client.close();
    expect(requests.map((r) => `${r.method} ${new URL(r.url).pathname}`)).toEqual([
      'POST /api/v1/session/handshake',
      'GET /api/v1/bridge/info',
      'POST /api/v1/session/handshake',
      'GET /api/v1/bridge/info',
    ]);
  });

  it('leaves an expired session alone when autoRefresh is false', async () => {
    const { fetch, requests } = fakeFetch({
      'POST /api/v1/session/handshake': () => ({ status: 201, body: session(1) }),
      'GET /api/v1/bridge/info': () => unauthorized('expired'),
    });
    const client = createBridgeClient({ fetch, autoRefresh: false });
    await client.handshake();
    await expect(client.api.bridgeInfo()).rejects.toMatchObject({ code: 'unauthorized', details: { reason: 'expired' } });
    expect(requests).toHaveLength(2);
  });

  it('does not hand-shake on its own when it never had a session', async () => {
    const { fetch, requests } = fakeFetch({ 'GET /api/v1/bridge/info': () => unauthorized('missing') });
    await expect(createBridgeClient({ fetch }).api.bridgeInfo()).rejects.toMatchObject({ code: 'unauthorized', details: { reason: 'missing' } });
    expect(requests).toHaveLength(1);
  });

  it('forgets its session on close, so later calls are unauthorized', async () => {
    const { fetch, requests } = fakeFetch({
      'POST /api/v1/session/handshake': () => ({ status: 201, body: session(1) }),
      'GET /api/v1/bridge/info': (request) => (request.headers['x-osloop-bridge-token'] ? { status: 200, body: info } : unauthorized('missing')),
    });
    const client = createBridgeClient({ fetch });
    await client.handshake();
    client.close();
    expect(client.session).toBeNull();
    await expect(client.api.bridgeInfo()).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(client.handshake()).rejects.toMatchObject({ code: 'unavailable', details: { reason: 'client_closed' } });
    expect(() => client.events()).toThrow(BridgeClientError);
    expect(requests).toHaveLength(2);
  });

  it('uses the UI token on UI routes', async () => {
    const { fetch, requests } = fakeFetch({ 'GET /api/v1/ui/status': () => ({ status: 200, body: {} }) });
    await createBridgeClient({ fetch, uiToken: 'ui-secret' }).api.uiStatus();
    expect(requests[0]!.headers['x-osloop-ui-token']).toBe('ui-secret');
    expect(requests[0]!.headers['x-osloop-bridge-token']).toBeUndefined();
  });

  describe('discover', () => {
    it('returns the health reply of a bridge speaking this protocol', async () => {
      const health = { status: 'ok', protocolVersion: 'osloop.bridge.v1', bridgeVersion: '0.1.0', port: 9, capabilitiesCount: 10 };
      const { fetch } = fakeFetch({ 'GET /api/v1/health': () => ({ status: 200, body: health }) });
      await expect(createBridgeClient({ fetch }).discover()).resolves.toEqual(health);
    });

    it.each([
      ['another protocol version', { status: 'ok', protocolVersion: 'osloop.bridge.v2' }, 'osloop.bridge.v2'],
      ['something that is not a bridge', { hello: 'world' }, undefined],
    ])('throws ProtocolMismatchError for %s', async (_name, body, received) => {
      const { fetch } = fakeFetch({ 'GET /api/v1/health': () => ({ status: 200, body }) });
      const error = await createBridgeClient({ fetch }).discover().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProtocolMismatchError);
      expect(error).toMatchObject({ code: 'unsupported', expected: 'osloop.bridge.v1', received });
    });

    it('throws unavailable when nothing listens', async () => {
      const { fetch } = fakeFetch({});
      await expect(createBridgeClient({ fetch }).discover()).rejects.toMatchObject({ code: 'unavailable' });
    });
  });

  describe('auto-refresh', () => {
    it('refreshes before expiry, and again after each refresh', async () => {
      vi.useFakeTimers();
      const { fetch, requests } = fakeFetch({
        'POST /api/v1/session/handshake': () => ({ status: 201, body: session(1, 10_000) }),
        'POST /api/v1/session/refresh': () => ({ status: 200, body: session(1, 10_000) }),
      });
      const client = createBridgeClient({ fetch });
      await client.handshake();
      await vi.advanceTimersByTimeAsync(7_900);
      expect(requests).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(200);
      expect(requests.map((r) => new URL(r.url).pathname)).toEqual(['/api/v1/session/handshake', '/api/v1/session/refresh']);
      expect(JSON.parse(requests[1]!.body!)).toEqual({ sessionToken: 'tok_1' });
      await vi.advanceTimersByTimeAsync(8_000);
      expect(requests).toHaveLength(3);
      client.close();
      await vi.advanceTimersByTimeAsync(60_000);
      expect(requests).toHaveLength(3);
    });

    it('hands-shake again when the refresh finds the session gone', async () => {
      vi.useFakeTimers();
      let handshakes = 0;
      const { fetch } = fakeFetch({
        'POST /api/v1/session/handshake': () => ({ status: 201, body: session(++handshakes, 10_000) }),
        'POST /api/v1/session/refresh': () => unauthorized('expired'),
      });
      const client = createBridgeClient({ fetch });
      await client.handshake();
      await vi.advanceTimersByTimeAsync(8_000);
      expect(client.session?.sessionId).toBe('ses_2');
      client.close();
    });

    it('does nothing on its own when autoRefresh is false', async () => {
      vi.useFakeTimers();
      const { fetch, requests } = fakeFetch({ 'POST /api/v1/session/handshake': () => ({ status: 201, body: session(1, 10_000) }) });
      const client = createBridgeClient({ fetch, autoRefresh: false });
      await client.handshake();
      await vi.advanceTimersByTimeAsync(60_000);
      expect(requests).toHaveLength(1);
    });
  });

  describe('events', () => {
    it('opens the socket on the ws URL with its token, types and binary output frames, and re-hand-shakes on 4001', async () => {
      let handshakes = 0;
      const { fetch, requests } = fakeFetch({ 'POST /api/v1/session/handshake': () => ({ status: 201, body: session(++handshakes) }) });
      const sockets = fakeSockets();
      const client = buildBridgeClient({ baseUrl: 'http://127.0.0.1:9', fetch }, { connect: sockets.connect, backoff: { initialMs: 1, maxMs: 1 } });
      await client.handshake();
      const stream = client.events({ types: ['system.command.*', 'session.>'], since: 4 });
      const first = await sockets.attempt(1);
      expect(`${first.url.origin}${first.url.pathname}`).toBe('ws://127.0.0.1:9/ws/v1/events');
      expect(Object.fromEntries(first.url.searchParams)).toEqual({ sessionToken: 'tok_1', since: '4', types: 'system.command.*,session.>', outputFrames: 'binary' });
      first.ready(4);
      first.close(4001);
      const second = await sockets.attempt(2);
      expect(second.url.searchParams.get('sessionToken')).toBe('tok_2');
      expect(requests.filter((r) => r.url.endsWith('/handshake'))).toHaveLength(2);
      client.close();
      await expect(stream.next()).resolves.toMatchObject({ done: true });
      expect(second.closedByClient).toBe(1000);
    });

    it('sends the UI token on the socket of a UI client', async () => {
      const sockets = fakeSockets();
      const client = buildBridgeClient({ uiToken: 'ui-secret' }, { connect: sockets.connect });
      client.events();
      expect(Object.fromEntries((await sockets.attempt(1)).url.searchParams)).toEqual({ uiToken: 'ui-secret', outputFrames: 'binary' });
      client.close();
    });

    it('asks for JSON output frames (the bridge\'s default) when told to', async () => {
      const sockets = fakeSockets();
      const client = buildBridgeClient({ uiToken: 'ui-secret' }, { connect: sockets.connect });
      client.events({ outputFrames: 'json' });
      expect((await sockets.attempt(1)).url.searchParams.has('outputFrames')).toBe(false);
      client.close();
    });
  });
});
