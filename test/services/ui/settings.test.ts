import { readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { subjectsFor } from '../../../src/bus/subjects.js';
import { handshake, startTestBridge, type TestBridge } from '../../support/test-bridge.js';

describe('settings (GET/PATCH /api/v1/ui/settings)', () => {
  let bridge: TestBridge;
  let ui: Record<string, string>;
  beforeEach(async () => {
    bridge = await startTestBridge();
    ui = { 'x-osloop-ui-token': bridge.uiToken, 'content-type': 'application/json' };
  });
  afterEach(() => bridge.close());

  const patch = (body: unknown) => fetch(`${bridge.baseUrl}/api/v1/ui/settings`, { method: 'PATCH', headers: ui, body: JSON.stringify(body) });
  const savedConfig = async () => JSON.parse(await readFile(bridge.paths.configFile, 'utf8')) as Record<string, unknown>;

  it('saves every setting of the page to the config file', async () => {
    const response = await patch({
      port: 47999,
      trayMode: true,
      allowedOrigins: ['https://app.example.com'],
      promptTimeoutMs: 30_000,
      defaultCommandTimeoutMs: 120_000,
      denyList: ['rm'],
      approvalsLocalOnly: true,
    });
    expect(response.status).toBe(200);
    expect(await savedConfig()).toMatchObject({
      port: 47999,
      trayMode: true,
      allowedOrigins: ['https://app.example.com'],
      promptTimeoutMs: 30_000,
      defaultCommandTimeoutMs: 120_000,
      denyList: ['rm'],
      approvals: { localOnly: true },
    });
  });

  it('saves the port for the next start without changing the one in use', async () => {
    const body = (await (await patch({ port: 47999 })).json()) as Record<string, unknown>;
    expect(body).toMatchObject({ port: 47999, runningPort: bridge.port(), restartRequired: true });
    const runtime = (await (await fetch(`${bridge.baseUrl}/api/v1/bridge/runtime`, { headers: ui })).json()) as Record<string, unknown>;
    expect(runtime).toMatchObject({ configuredPort: bridge.port(), activePort: bridge.port() });
  });

  it('hands tray mode and timeouts to the bridge actor, which announces bridge.runtime.updated', async () => {
    const announced = new Promise<unknown>((resolve) => {
      const sub = bridge.bus.subscribe(subjectsFor(bridge.bridgeId).event('bridge.runtime.updated'), (message) => {
        sub.unsubscribe();
        resolve(message.data);
      });
    });
    await patch({ trayMode: true, promptTimeoutMs: 20_000 });
    expect(await announced).toMatchObject({ trayMode: true, promptTimeoutMs: 20_000 });
    expect(bridge.runtime.root.getSnapshot().context).toMatchObject({ trayMode: true, promptTimeoutMs: 20_000 });
  });

  it('applies new allowed origins to the next handshake at once', async () => {
    const origin = 'https://app.example.com';
    const before = await fetch(`${bridge.baseUrl}/api/v1/session/handshake`, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: '{}' });
    expect(before.status).toBe(403);
    await patch({ allowedOrigins: [origin] });
    const after = await fetch(`${bridge.baseUrl}/api/v1/session/handshake`, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: '{}' });
    expect(after.status).toBe(201);
  });

  it.each([
    ['a port out of range', { port: 70000 }],
    ['an origin with a path', { allowedOrigins: ['https://app.example.com/x'] }],
    ['an unknown setting', { colour: 'blue' }],
    ['nothing at all', {}],
    ['a prompt timeout under a second', { promptTimeoutMs: 10 }],
  ])('refuses %s with a 400 and changes nothing', async (_name, body) => {
    await patch({ denyList: ['keep-me'] });
    const before = await readFile(bridge.paths.configFile, 'utf8');
    const response = await patch(body);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
    expect(await readFile(bridge.paths.configFile, 'utf8')).toBe(before);
  });

  it('is refused to a web-app session with 403 forbidden', async () => {
    const session = await handshake(bridge);
    for (const [method, path] of [
      ['GET', '/api/v1/ui/settings'],
      ['PATCH', '/api/v1/ui/settings'],
      ['GET', '/api/v1/ui/machines'],
      ['GET', '/api/v1/ui/connections'],
      ['GET', '/api/v1/ui/actors'],
    ] as const) {
      const response = await fetch(`${bridge.baseUrl}${path}`, { method, headers: session.headers, ...(method === 'PATCH' ? { body: '{"trayMode":true}' } : {}) });
      expect({ path, method, status: response.status }).toEqual({ path, method, status: 403 });
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    }
    expect(bridge.config.current.trayMode).toBe(false);
  });

  it('lists every origin this process lets in, with what allowed it: settings, --allow-origin, its own pages, --dev', async () => {
    const dev = await startTestBridge({ dev: true, allowOrigins: ['https://cli.example.com'], config: { allowedOrigins: ['https://app.example.com'] } });
    try {
      const view = (await (await fetch(`${dev.baseUrl}/api/v1/ui/settings`, { headers: { 'x-osloop-ui-token': dev.uiToken } })).json()) as Record<string, unknown>;
      expect(view).toMatchObject({ devMode: true, portFromCommandLine: true });
      expect(view.effectiveOrigins).toEqual([
        { origin: 'https://app.example.com', source: 'settings' },
        { origin: 'https://cli.example.com', source: 'command_line' },
        { origin: `http://127.0.0.1:${dev.port()}`, source: 'bridge_ui' },
        { origin: `http://localhost:${dev.port()}`, source: 'bridge_ui' },
        { origin: `http://[::1]:${dev.port()}`, source: 'bridge_ui' },
        { origin: 'http://localhost:*', source: 'dev_mode' },
        { origin: 'http://127.0.0.1:*', source: 'dev_mode' },
      ]);
      // What the list says is what the origin check does: a dev page on another port gets in.
      expect((await handshake(dev, 'http://localhost:5173')).sessionId).toMatch(/^ses_/);
    } finally {
      await dev.close();
    }
  });
});
