import { createUser } from '@nats-io/nkeys';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { handshake, startTestBridge, type TestBridge } from '../support/test-bridge.js';

describe('pairing fleet orchestrators through the settings (PATCH /api/v1/ui/settings)', () => {
  let bridge: TestBridge;
  beforeEach(async () => (bridge = await startTestBridge()));
  afterEach(() => bridge.close());

  const patch = async (body: unknown) => {
    const response = await fetch(`${bridge.baseUrl}/api/v1/ui/settings`, { method: 'PATCH', headers: { 'x-osloop-ui-token': bridge.uiToken, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('pairs and unpairs by the whole list of keys, keeping when each was paired', async () => {
    const [a, b] = [createUser().getPublicKey(), createUser().getPublicKey()];
    expect((await patch({ fleetOrchestrators: [a] })).body).toMatchObject({ fleetOrchestrators: [a] });
    const pairedAt = bridge.config.current.nats.orchestrators[0]!.pairedAt;
    expect((await patch({ fleetOrchestrators: [a, b] })).body).toMatchObject({ fleetOrchestrators: [a, b] });
    expect(bridge.config.current.nats.orchestrators[0]).toMatchObject({ key: a, pairedAt });
    expect((await patch({ fleetOrchestrators: [b] })).body).toMatchObject({ fleetOrchestrators: [b] });
  });

  it('refuses what is not an orchestrator key, changing nothing', async () => {
    const refused = await patch({ fleetOrchestrators: ['not-a-key'] });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ error: { code: 'invalid_request' } });
    expect(bridge.config.current.nats.orchestrators).toEqual([]);
  });
});

describe('the Settings page\'s fleet panel routes (GET/POST/DELETE /api/v1/ui/fleet/orchestrators)', () => {
  let bridge: TestBridge;
  beforeEach(async () => (bridge = await startTestBridge()));
  afterEach(() => bridge.close());

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = { 'x-osloop-ui-token': bridge.uiToken }) => {
    const response = await fetch(`${bridge.baseUrl}/api/v1/ui/fleet/orchestrators${path}`, {
      method,
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as { orchestrators?: { key: string; label: string | null; pairedAt: string }[]; error?: { code: string } } };
  };

  it('lists, names, renames, clears and unpairs, keeping when the key was paired', async () => {
    const key = createUser().getPublicKey();
    expect((await call('GET', '')).body).toEqual({ orchestrators: [] });
    const paired = await call('POST', '', { key, label: '  build farm  ' });
    expect(paired.body.orchestrators).toEqual([{ key, label: 'build farm', pairedAt: expect.any(String) }]);
    const pairedAt = paired.body.orchestrators![0]!.pairedAt;
    // A pair without a label (what `fleet pair <key>` run again sends) keeps the name.
    expect((await call('POST', '', { key })).body.orchestrators).toEqual([{ key, label: 'build farm', pairedAt }]);
    expect((await call('POST', '', { key, label: 'laptop fleet' })).body.orchestrators).toEqual([{ key, label: 'laptop fleet', pairedAt }]);
    expect((await call('GET', '')).body.orchestrators).toEqual([{ key, label: 'laptop fleet', pairedAt }]);
    expect(bridge.config.current.nats.orchestrators).toEqual([{ key, label: 'laptop fleet', pairedAt }]);
    expect((await call('POST', '', { key, label: '' })).body.orchestrators).toEqual([{ key, label: null, pairedAt }]);
    expect((await call('DELETE', `/${key}`)).body).toEqual({ orchestrators: [] });
    expect(bridge.config.current.nats.orchestrators).toEqual([]);
  });

  it('refuses a bad key or an over-long name with a 400 and changes nothing', async () => {
    const key = createUser().getPublicKey();
    await call('POST', '', { key, label: 'kept' });
    const before = bridge.config.current.nats.orchestrators;
    // Right shape, wrong checksum: the last character changed.
    const forged = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
    for (const body of [{ key: 'not-a-key' }, { key: forged }, { key, label: 'x'.repeat(201) }, { key, extra: true }]) {
      const refused = await call('POST', '', body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.body.error?.code).toBe('invalid_request');
    }
    expect(bridge.config.current.nats.orchestrators).toEqual(before);
  });

  it('is the local UI\'s only: a web-app session cannot list or pair orchestrators', async () => {
    const { headers } = await handshake(bridge);
    for (const [method, body] of [['GET', undefined], ['POST', { key: createUser().getPublicKey() }]] as const) {
      const refused = await call(method, '', body, headers);
      expect([401, 403]).toContain(refused.status);
    }
    expect(bridge.config.current.nats.orchestrators).toEqual([]);
  });
});
