import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverMachines } from '../../src/fleet/client/discovery.js';
import { requireNatsServer, startNatsServer, type NatsServerHandle } from '../support/nats-server.js';

const { skip } = requireNatsServer();

describe.skipIf(skip)('fleet discovery', () => {
  let server: NatsServerHandle;
  let nc: NatsConnection;

  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
  }, 30_000);

  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });

  it('finds no machines, rather than failing, when no bridge is on the fleet', async () => {
    // The server answers "no responders" at once: the state of a fleet whose bridges are all
    // stopped, or of the moment one restarts.
    expect(await discoverMachines(nc, { maxWaitMs: 5_000 })).toEqual([]);
  });

  it('still fails when the connection itself is gone', async () => {
    const closed = await connect({ servers: server.url });
    await closed.close();
    await expect(discoverMachines(closed, { maxWaitMs: 200 })).rejects.toThrow();
  });
});
