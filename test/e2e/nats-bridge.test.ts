import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireNatsServer, startNatsServer, type NatsServerHandle } from '../support/nats-server.js';
import { openFrames } from '../support/ws-frames.js';
import { handshake, startTestBridge, type TestBridge } from '../support/test-bridge.js';

const { skip } = requireNatsServer();

describe.skipIf(skip)('the whole bridge on a real nats-server', () => {
  let nats: NatsServerHandle;
  let bridge: TestBridge;

  beforeAll(async () => {
    nats = await startNatsServer();
    bridge = await startTestBridge({ natsUrl: nats.url });
  });
  afterAll(async () => {
    await bridge?.close();
    await nats?.stop();
  });

  it('serves routes, sessions and events through NATS', async () => {
    const { token, headers } = await handshake(bridge);
    const info = (await (await fetch(`${bridge.baseUrl}/api/v1/bridge/info`, { headers })).json()) as { bus: { kind: string; url?: string } };
    expect(info.bus).toEqual({ kind: 'nats', url: nats.url });

    const socket = await openFrames(`${bridge.baseUrl.replace('http', 'ws')}/ws/v1/events?sessionToken=${token}&since=0`, bridge.origin);
    const frames = await socket.until((f) => f.some((x) => x.type === 'session.created'));
    expect(frames.find((x) => x.type === 'session.created')).toMatchObject({ data: { origin: bridge.origin } });
    socket.socket.close();
  });

  it('publishes actor transitions on osloop.<bridgeId>.actor.>', async () => {
    const seen: Array<{ kind: string; state: unknown }> = [];
    const subscription = bridge.bus.subscribe(`osloop.${bridge.bridgeId}.actor.session.*`, (message) => {
      seen.push(message.data as { kind: string; state: unknown });
    });
    await handshake(bridge);
    await expect.poll(() => seen.length).toBeGreaterThan(0);
    expect(seen[0]).toMatchObject({ kind: 'session', state: 'active' });
    expect(JSON.stringify(seen)).not.toMatch(/"tokenHash":"[0-9a-f]/);
    subscription.unsubscribe();
  });
});
