import { createUser } from '@nats-io/nkeys';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestBridge, type TestBridge } from '../support/test-bridge.js';

describe('pairing fleet orchestrators on the Settings page (PATCH /api/v1/ui/settings)', () => {
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
