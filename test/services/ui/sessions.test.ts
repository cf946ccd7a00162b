import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handshake, startTestBridge, type TestBridge } from '../../support/test-bridge.js';

describe('web-app sessions for the settings page (GET /api/v1/ui/sessions, DELETE /api/v1/ui/sessions/:id)', () => {
  let bridge: TestBridge;
  let ui: Record<string, string>;
  beforeEach(async () => {
    bridge = await startTestBridge();
    ui = { 'x-osloop-ui-token': bridge.uiToken };
  });
  afterEach(() => bridge.close());

  const list = async () => (await (await fetch(`${bridge.baseUrl}/api/v1/ui/sessions`, { headers: ui })).json()) as { sessions: Array<Record<string, unknown>> };

  it('lists live sessions with origin and client name, never a token', async () => {
    const webApp = await handshake(bridge);
    const { sessions } = await list();
    expect(sessions).toEqual([{ sessionId: webApp.sessionId, origin: bridge.origin, clientName: 'test', expiresAt: expect.any(String) }]);
    expect(JSON.stringify(sessions)).not.toContain(webApp.token);
  });

  it('revokes a session: its token stops working at once and it leaves the list', async () => {
    const webApp = await handshake(bridge);
    const runtime = () => fetch(`${bridge.baseUrl}/api/v1/bridge/runtime`, { headers: webApp.headers });
    expect((await runtime()).status).toBe(200);
    const revoked = await fetch(`${bridge.baseUrl}/api/v1/ui/sessions/${webApp.sessionId}`, { method: 'DELETE', headers: ui });
    expect(await revoked.json()).toEqual({ sessionId: webApp.sessionId, revoked: true });
    expect((await runtime()).status).toBe(401);
    expect((await list()).sessions).toEqual([]);
  });

  it('answers 404 for an unknown session and for an actor that is not a session', async () => {
    for (const id of ['ses_doesnotexist', 'bridge']) {
      const response = await fetch(`${bridge.baseUrl}/api/v1/ui/sessions/${id}`, { method: 'DELETE', headers: ui });
      expect(response.status).toBe(404);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('not_found');
    }
    expect(bridge.runtime.root.getSnapshot().status).toBe('active');
  });

  it('refuses a web-app session: only the person at the keyboard lists and revokes', async () => {
    const webApp = await handshake(bridge);
    const other = await handshake(bridge);
    expect((await fetch(`${bridge.baseUrl}/api/v1/ui/sessions`, { headers: webApp.headers })).status).toBe(403);
    expect((await fetch(`${bridge.baseUrl}/api/v1/ui/sessions/${other.sessionId}`, { method: 'DELETE', headers: webApp.headers })).status).toBe(403);
    expect((await list()).sessions).toHaveLength(2);
  });
});
