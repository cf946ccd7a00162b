import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../support/raw-http.js';
import { handshake, startTestBridge, type TestBridge } from '../support/test-bridge.js';

const WEB_APP = 'https://app.osloop.example';
let bridge: TestBridge;

beforeAll(async () => {
  bridge = await startTestBridge({ config: { allowedOrigins: [WEB_APP], bodyLimitBytes: 4096, handshakeRateLimit: { max: 1000, windowMs: 60_000 } } });
});
afterAll(() => bridge.close());

const url = (path: string) => `${bridge.baseUrl}${path}`;
const errorCode = async (response: Response) => ((await response.json()) as { error: { code: string } }).error.code;

describe('Host check (DNS-rebinding defence)', () => {
  it('answers health with no auth on an allowed Host', async () => {
    const response = await fetch(url('/api/v1/health'));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok', protocolVersion: 'osloop.bridge.v1', port: bridge.port(), capabilitiesCount: 10 });
  });

  it.each([
    ['a foreign host', ['Host: evil.example'], 403],
    ['another port', ['Host: 127.0.0.1:1'], 403],
    ['no Host', [], 400],
    ['an empty Host', ['Host: '], 400],
    ['two Hosts', ['Host: 127.0.0.1:PORT', 'Host: 127.0.0.1:PORT'], 400],
  ])('refuses %s', async (_name, hostLines, status) => {
    const lines = ['GET /api/v1/health HTTP/1.1', ...hostLines.map((l) => l.replace('PORT', String(bridge.port())))];
    const response = await rawRequest(bridge.port(), lines);
    expect(response.status).toBe(status);
    expect(JSON.parse(response.body).error.code).toBe(status === 403 ? 'forbidden_host' : 'invalid_request');
  });
});

describe('Origin check and CORS', () => {
  it('refuses a foreign Origin on a public route', async () => {
    const response = await fetch(url('/api/v1/health'), { headers: { origin: 'https://evil.example' } });
    expect(response.status).toBe(403);
    expect(await errorCode(response)).toBe('forbidden_origin');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses the opaque origin null and duplicated Origins', async () => {
    expect((await fetch(url('/api/v1/health'), { headers: { origin: 'null' } })).status).toBe(403);
    const doubled = await rawRequest(bridge.port(), ['GET /api/v1/health HTTP/1.1', `Host: 127.0.0.1:${bridge.port()}`, `Origin: ${WEB_APP}`, `Origin: ${WEB_APP}`]);
    expect(doubled.status).toBe(403);
  });

  it('answers an allowed preflight with the exact origin, Vary and private-network consent', async () => {
    const response = await fetch(url('/api/v1/bridge/info'), {
      method: 'OPTIONS',
      headers: {
        origin: WEB_APP,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'x-osloop-bridge-token',
        'access-control-request-private-network': 'true',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(WEB_APP);
    expect(response.headers.get('vary')).toMatch(/Origin/);
    expect(response.headers.get('access-control-allow-private-network')).toBe('true');
    expect(response.headers.get('access-control-allow-headers')).toMatch(/x-osloop-bridge-token/);
  });

  it('refuses a foreign preflight with no CORS headers at all', async () => {
    const response = await fetch(url('/api/v1/bridge/info'), {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    expect(response.status).toBe(403);
    for (const header of ['access-control-allow-origin', 'access-control-allow-methods', 'access-control-allow-headers']) {
      expect(response.headers.get(header)).toBeNull();
    }
  });

  it('echoes the exact allowed origin on a normal reply, never *', async () => {
    const response = await fetch(url('/api/v1/health'), { headers: { origin: WEB_APP } });
    expect(response.headers.get('access-control-allow-origin')).toBe(WEB_APP);
  });
});

describe('handshake', () => {
  const post = (body: string, headers: Record<string, string>) => fetch(url('/api/v1/session/handshake'), { method: 'POST', body, headers });

  it('issues an unguessable token bound to the calling origin', async () => {
    const response = await post('{"clientName":"web"}', { origin: WEB_APP, 'content-type': 'application/json' });
    expect(response.status).toBe(201);
    const body = (await response.json()) as { sessionToken: string; expiresAt: string };
    expect(Buffer.from(body.sessionToken, 'base64url').length).toBeGreaterThanOrEqual(16);
    expect(Date.parse(body.expiresAt)).toBeGreaterThan(Date.now());
  });

  it.each([
    ['without an Origin', '{}', { 'content-type': 'application/json' }, 403, 'forbidden_origin'],
    ['as a text/plain simple request', '{}', { origin: WEB_APP, 'content-type': 'text/plain' }, 415, 'unsupported_media_type'],
    ['as a form post', 'a=b', { origin: WEB_APP, 'content-type': 'application/x-www-form-urlencoded' }, 415, 'unsupported_media_type'],
    ['with bad JSON', '{"clientName":', { origin: WEB_APP, 'content-type': 'application/json' }, 400, 'invalid_request'],
    ['with a __proto__ key', '{"__proto__":{"admin":true}}', { origin: WEB_APP, 'content-type': 'application/json' }, 400, 'invalid_request'],
    ['with an unknown field', '{"clientName":"x","admin":true}', { origin: WEB_APP, 'content-type': 'application/json' }, 400, 'invalid_request'],
    ['with a wrong type', '{"clientName":42}', { origin: WEB_APP, 'content-type': 'application/json' }, 400, 'invalid_request'],
    ['with a body over the limit', JSON.stringify({ clientName: 'x'.repeat(10_000) }), { origin: WEB_APP, 'content-type': 'application/json' }, 413, 'payload_too_large'],
  ])('is refused %s', async (_name, body, headers, status, code) => {
    const response = await post(body, headers as Record<string, string>);
    expect(response.status).toBe(status);
    expect(await errorCode(response)).toBe(code);
  });

  it('accepts an empty JSON body as "no body"', async () => {
    const response = await fetch(url('/api/v1/session/handshake'), { method: 'POST', headers: { origin: WEB_APP, 'content-type': 'application/json' } });
    expect(response.status).toBe(201);
  });

  it('is rate-limited per origin with 429 rate_limited', async () => {
    const limited = await startTestBridge({ config: { handshakeRateLimit: { max: 3, windowMs: 60_000 } } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const response = await fetch(`${limited.baseUrl}/api/v1/session/handshake`, { method: 'POST', headers: { origin: limited.origin, 'content-type': 'application/json' }, body: '{}' });
        statuses.push(response.status);
        if (response.status === 429) expect(await errorCode(response)).toBe('rate_limited');
      }
      expect(statuses).toEqual([201, 201, 201, 429, 429]);
      expect(limited.runtime.counts().session).toBe(3);
    } finally {
      await limited.close();
    }
  });

  it('creates no session when refused', async () => {
    const before = (await bridge.runtime.counts()).session ?? 0;
    await post('{}', { origin: WEB_APP, 'content-type': 'text/plain' });
    expect(bridge.runtime.counts().session ?? 0).toBe(before);
  });
});

describe('tokens', () => {
  it.each([
    ['missing', {}],
    ['invalid', { 'x-osloop-bridge-token': 'not-a-token' }],
  ])('refuses a %s token with 401 and the reason', async (reason, headers) => {
    const response = await fetch(url('/api/v1/bridge/info'), { headers });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: 'unauthorized', details: { reason } } });
  });

  it('accepts the token from its own origin only', async () => {
    const session = await handshake(bridge, WEB_APP);
    expect((await fetch(url('/api/v1/bridge/info'), { headers: session.headers })).status).toBe(200);
    const elsewhere = await fetch(url('/api/v1/bridge/info'), { headers: { ...session.headers, origin: bridge.origin } });
    expect(elsewhere.status).toBe(403);
    expect(await errorCode(elsewhere)).toBe('forbidden_origin');
  });

  it('lists the ten capabilities of the contract', async () => {
    const session = await handshake(bridge, WEB_APP);
    const body = (await (await fetch(url('/api/v1/capabilities'), { headers: session.headers })).json()) as { capabilities: Array<{ id: string }> };
    expect(body.capabilities.map((c) => c.id)).toEqual([
      'mcp_proxy', 'filesystem', 'awake', 'system_info', 'system_tools', 'tool_install_recipes', 'health', 'version', 'command_permissions', 'tray_mode',
    ]);
  });

  it('reports the runtime: port, bind state and the default timeout', async () => {
    const session = await handshake(bridge, WEB_APP);
    const body = await (await fetch(url('/api/v1/bridge/runtime'), { headers: session.headers })).json();
    expect(body).toMatchObject({ configuredPort: bridge.port(), activePort: bridge.port(), bindState: 'listening', defaultCommandTimeoutMs: 300_000, bus: 'embedded' });
  });

  it('refuses a web-app token on UI-only routes and accepts the UI token', async () => {
    const session = await handshake(bridge, WEB_APP);
    const refused = await fetch(url('/api/v1/ui/connections'), { headers: session.headers });
    expect(refused.status).toBe(403);
    expect(await errorCode(refused)).toBe('forbidden');
    const allowed = await fetch(url('/api/v1/ui/connections'), { headers: { 'x-osloop-ui-token': bridge.uiToken } });
    expect(allowed.status).toBe(200);
  });

  it('never writes a token into the log', async () => {
    const session = await handshake(bridge, WEB_APP);
    await fetch(url('/api/v1/bridge/info'), { headers: session.headers });
    await fetch(url('/api/v1/bridge/info'), { headers: { ...session.headers, origin: 'https://evil.example' } });
    const log = bridge.logs.join('');
    expect(log.length).toBeGreaterThan(0);
    expect(log).not.toContain(session.token);
    expect(log).not.toContain(bridge.uiToken);
  });
});

describe('paths', () => {
  it('flags /api/v1/api/v1/… as malformed with the canonical hint, and logs it highlighted', async () => {
    const response = await fetch(url('/api/v1/api/v1/bridge/info'));
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 'malformed_path', details: { hint: '/api/v1/bridge/info' } } });
    const log = (await (await fetch(url('/api/v1/ui/connections'), { headers: { 'x-osloop-ui-token': bridge.uiToken } })).json()) as {
      entries: Array<{ path: string; malformed: boolean; hint: string | null; status: number }>;
    };
    expect(log.entries).toContainEqual(expect.objectContaining({ path: '/api/v1/api/v1/bridge/info', malformed: true, hint: '/api/v1/bridge/info', status: 404 }));
  });

  it('answers an unknown path with not_found and a known path with a wrong method with 405', async () => {
    expect(await errorCode(await fetch(url('/api/v1/nope')))).toBe('not_found');
    const wrongMethod = await fetch(url('/api/v1/health'), { method: 'DELETE', headers: { 'content-type': 'application/json' } });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET');
  });

  it('serves an OpenAPI 3.1 document generated from the contract', async () => {
    const doc = (await (await fetch(url('/api/v1/openapi.json'))).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\.1/);
    expect(Object.keys(doc.paths)).toContain('/api/v1/session/handshake');
  });
});
