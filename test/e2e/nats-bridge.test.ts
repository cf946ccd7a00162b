import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireNatsServer, startNatsServer, type NatsServerHandle } from '../support/nats-server.js';
import { handshake, startTestBridge, type TestBridge } from '../support/test-bridge.js';

const { skip } = requireNatsServer();

/**
 * The attack of issue 13, replayed: a bridge started with `--nats`, and a bare client on the same
 * server. The actor bus must stay in the bridge's process, so the bare client hears nothing of
 * it and cannot answer a prompt as the local user.
 */
describe.skipIf(skip)('a bridge started with --nats', () => {
  let nats: NatsServerHandle;
  let bridge: TestBridge;
  let bare: NatsConnection;
  const heard: string[] = [];

  beforeAll(async () => {
    nats = await startNatsServer();
    bare = await connect({ servers: nats.url });
    bare.subscribe('>', { callback: (_error, msg) => void heard.push(`${msg.subject} ${msg.string()}`) });
    await bare.flush();
    bridge = await startTestBridge({ natsUrl: nats.url });
    await bridge.fleet!.connected();
  });
  afterAll(async () => {
    await bridge?.close();
    await bare?.close();
    await nats?.stop();
  });

  it('keeps its actor bus in-process and joins only as a fleet edge', async () => {
    const { headers, token } = await handshake(bridge);
    const info = (await (await fetch(`${bridge.baseUrl}/api/v1/bridge/info`, { headers })).json()) as { bus: { kind: string } };
    expect(info.bus).toEqual({ kind: 'embedded' });
    await bare.flush();
    const traffic = heard.join('\n');
    expect(traffic).not.toContain(`osloop.${bridge.bridgeId}.`);
    expect(traffic).not.toContain(token);
    expect(traffic).not.toContain(bridge.uiToken);
    expect(bridge.fleet!.state()).toMatchObject({ status: 'connected', machineId: expect.stringMatching(/^U[A-Z2-7]{55}$/) });
  });

  it('gives a bare client no subject on which to approve a prompt as the local user', async () => {
    const forged = JSON.stringify({ principal: { kind: 'ui' }, params: { requestId: 'prompt-1' }, body: { decision: 'allow_once' } });
    await expect(bare.request(`osloop.${bridge.bridgeId}.rpc.system.permissions.prompts.resolve`, forged, { timeout: 1_000 })).rejects.toThrow();
    await expect(bare.request(`osloop.${bridge.bridgeId}.internal.auth.verify`, JSON.stringify({ token: 'x' }), { timeout: 1_000 })).rejects.toThrow();
  });

  it('refuses every request of an unpaired client at its fleet edge', async () => {
    const reply = await bare.request(`osloop.fleet.v1.${bridge.fleet!.machineId}.runs`, JSON.stringify({ header: '{}', payload: '{}' }), { timeout: 5_000 });
    const body = JSON.parse((JSON.parse(reply.string()) as { body: string }).body) as { refused: { code: string } };
    expect(body.refused.code).toBe('invalid_request');
  });
});
