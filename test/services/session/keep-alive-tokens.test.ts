import http from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handshake, startTestBridge, type TestBridge } from '../../support/test-bridge.js';

/** Requests on one keep-alive connection, as a browser sends them; says whether the socket was reused. */
function oneConnection(baseUrl: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = (path: string, headers: Record<string, string>) =>
    new Promise<{ status: number; body: string; reused: boolean }>((resolve, reject) => {
      const request = http.get(`${baseUrl}${path}`, { agent, headers }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body, reused: request.reusedSocket }));
      });
      request.on('error', reject);
    });
  return { get, close: () => agent.destroy() };
}

describe('session tokens on a keep-alive connection (the token hash is remembered per connection)', () => {
  let bridge: TestBridge;
  let ui: Record<string, string>;
  beforeEach(async () => {
    bridge = await startTestBridge();
    ui = { 'x-osloop-ui-token': bridge.uiToken };
  });
  afterEach(() => bridge.close());

  it('refuses a revoked session on the very next request of the same connection', async () => {
    const webApp = await handshake(bridge);
    const connection = oneConnection(bridge.baseUrl);
    try {
      expect((await connection.get('/api/v1/bridge/info', webApp.headers)).status).toBe(200);
      expect((await connection.get('/api/v1/bridge/info', webApp.headers)).status).toBe(200);
      const revoked = await fetch(`${bridge.baseUrl}/api/v1/ui/sessions/${webApp.sessionId}`, { method: 'DELETE', headers: ui });
      expect(revoked.status).toBe(200);
      const after = await connection.get('/api/v1/bridge/info', webApp.headers);
      expect(after.reused).toBe(true);
      expect(after.status).toBe(401);
      expect(JSON.parse(after.body)).toMatchObject({ error: { code: 'unauthorized' } });
    } finally {
      connection.close();
    }
  });

  it('knows each token for its own session when one connection switches tokens, and refuses a forged one', async () => {
    const first = await handshake(bridge);
    const second = await handshake(bridge);
    const connection = oneConnection(bridge.baseUrl);
    try {
      expect((await connection.get('/api/v1/bridge/info', first.headers)).status).toBe(200);
      const switched = await connection.get('/api/v1/bridge/info', second.headers);
      expect(switched).toMatchObject({ status: 200, reused: true });
      const forged = await connection.get('/api/v1/bridge/info', { ...first.headers, 'x-osloop-bridge-token': `${first.token.slice(0, -1)}x` });
      expect(forged).toMatchObject({ status: 401, reused: true });
      expect((await connection.get('/api/v1/bridge/info', first.headers)).status).toBe(200);
      const log = (await (await fetch(`${bridge.baseUrl}/api/v1/ui/connections?limit=10`, { headers: ui })).json()) as {
        entries: Array<{ path: string; status: number; sessionId: string | null }>;
      };
      const info = log.entries.filter((entry) => entry.path === '/api/v1/bridge/info').reverse();
      expect(info.map((entry) => [entry.status, entry.sessionId])).toEqual([
        [200, first.sessionId],
        [200, second.sessionId],
        [401, null],
        [200, first.sessionId],
      ]);
    } finally {
      connection.close();
    }
  });
});
