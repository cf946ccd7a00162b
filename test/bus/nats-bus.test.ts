import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNatsBus } from '../../src/bus/nats-bus.js';
import { requireNatsServer, startNatsServer, type NatsServerHandle } from '../support/nats-server.js';
import { describeBusConformance } from './conformance.js';

const nats = requireNatsServer();

describe.skipIf(nats.skip)('NATS bus against a real nats-server', () => {
  let server: NatsServerHandle;

  beforeAll(async () => {
    server = await startNatsServer();
  });

  afterAll(async () => {
    await server?.stop();
  });

  describeBusConformance('nats', (options) => connectNatsBus(server.url, options));

  it('reports itself as nats', async () => {
    const bus = await connectNatsBus(server.url);
    expect(bus.kind).toBe('nats');
    await bus.drain();
  });

  it('carries messages and replies between two connections', async () => {
    const [service, client] = await Promise.all([connectNatsBus(server.url), connectNatsBus(server.url)]);
    try {
      service.serve('cross.rpc', (data) => ({ doubled: (data as number) * 2 }));
      // The subscription reaches the server asynchronously; a round trip on the same connection
      // (a request to itself) proves it is registered before the other connection relies on it.
      service.serve('cross.ping', () => 'pong');
      await expect(service.request('cross.ping', null)).resolves.toBe('pong');
      await expect(client.request('cross.rpc', 21)).resolves.toEqual({ doubled: 42 });
    } finally {
      await Promise.all([service.drain(), client.drain()]);
    }
  });

  it('fails to connect with the connection error when no server listens', async () => {
    await expect(connectNatsBus('nats://127.0.0.1:1')).rejects.toThrow();
  });
});
