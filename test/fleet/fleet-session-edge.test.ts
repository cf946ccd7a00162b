import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createCurve, createUser } from '@nats-io/nkeys';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetClient, FleetRequestError, fleetSubjectsFor, type FleetMachine } from '../../src/fleet/client/index.js';
import { MachineSessions } from '../../src/fleet/client/machine-sessions.js';
import { createSessionRequest } from '../../src/fleet/session-request.js';
import { verifyText } from '../../src/fleet/signing.js';
import { requireNatsServer, startNatsServer, type NatsServerHandle } from '../support/nats-server.js';
import { handshake, startTestBridge, type TestBridge } from '../support/test-bridge.js';

const { skip } = requireNatsServer();

/** The reason of a refusal the machine signed (a session request it would not answer in the session). */
function signedRefusalReason(machineId: string, raw: Uint8Array): string | undefined {
  // A session reply is a binary frame; a signed refusal is JSON.
  if (raw[0] !== '{'.charCodeAt(0)) return undefined;
  const wire = JSON.parse(Buffer.from(raw).toString('utf8')) as { body?: string; sig?: string };
  if (!wire.body || !wire.sig || !verifyText(machineId, 'reply', wire.body, wire.sig)) return undefined;
  return (JSON.parse(wire.body) as { refused?: { reason: string } }).refused?.reason;
}

describe.skipIf(skip)('fleet sessions against a running bridge', () => {
  let server: NatsServerHandle;
  let home: string;
  let bridge: TestBridge;
  let nc: NatsConnection;
  const orchestrator = { identity: createUser(), curve: createCurve() };
  const orchestratorKey = orchestrator.identity.getPublicKey();

  const start = async () => {
    bridge = await startTestBridge({
      home,
      keepHome: true,
      natsUrl: server.url,
      config: { nats: { orchestrators: [{ key: orchestratorKey, label: null, pairedAt: new Date().toISOString() }] } },
    });
    await bridge.fleet!.connected();
  };
  const discovered = async (client: FleetClient): Promise<FleetMachine> => {
    for (;;) {
      const found = (await client.discover({ maxWaitMs: 500 })).find((m) => m.machineId === bridge.fleet!.machineId);
      if (found) return found;
    }
  };

  beforeAll(async () => {
    server = await startNatsServer();
    home = await mkdtemp(path.join(os.tmpdir(), 'osloop-fleet-sessions-'));
    await start();
    nc = await connect({ servers: server.url });
  }, 60_000);

  afterAll(async () => {
    await nc?.close();
    await bridge?.close();
    await server?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('refuses a request MAC\'d with another session\'s key, signed by the machine', async () => {
    const client = new FleetClient(nc, orchestrator);
    const machine = await discovered(client);
    const sendBytes = async (machineId: string, op: string, wire: string | Uint8Array) => (await nc.request(fleetSubjectsFor(machineId).endpoint(op), wire, { timeout: 20_000 })).data;
    const send = async (machineId: string, op: string, wire: string) => Buffer.from(await sendBytes(machineId, op, wire)).toString('utf8');
    const mine = await new MachineSessions(orchestrator, orchestratorKey, send).get(machine);
    const other = await new MachineSessions(orchestrator, orchestratorKey, send).get(machine);
    expect(other.id).not.toBe(mine.id);
    const forged = createSessionRequest({ ...other, id: mine.id }, 'runs', {}).wire;
    expect(signedRefusalReason(machine.machineId, await sendBytes(machine.machineId, 'runs', forged))).toBe('bad_signature');
    // The genuine session still works: the forgery used none of its counters.
    const genuine = await sendBytes(machine.machineId, 'runs', createSessionRequest(mine, 'runs', {}).wire);
    expect(signedRefusalReason(machine.machineId, genuine)).toBeUndefined();
  }, 60_000);

  it('opens a new session transparently when the bridge restarted and forgot the old one', async () => {
    const client = new FleetClient(nc, orchestrator);
    await discovered(client);
    const machineId = bridge.fleet!.machineId;
    expect(await client.info(machineId)).toMatchObject({ version: expect.any(String) });
    await bridge.close();
    await start();
    // Same home, so the same machine id and curve key; the session table is new.
    expect(bridge.fleet!.machineId).toBe(machineId);
    await discovered(client);
    expect(await client.info(machineId)).toMatchObject({ version: expect.any(String) });
    expect(bridge.logs.join('')).toMatch(/session_unknown/);
  }, 90_000);

  it('lists and calls only the local user\'s MCP servers: a web app\'s are not found', async () => {
    const register = async (headers: Record<string, string>, name: string) => {
      const response = await fetch(`${bridge.baseUrl}/api/v1/mcp/servers`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ name, transport: { type: 'streamable-http', url: 'http://127.0.0.1:9/mcp' } }),
      });
      expect(response.status).toBe(201);
      return ((await response.json()) as { serverId: string }).serverId;
    };
    const webApp = await handshake(bridge);
    const theirs = await register(webApp.headers, 'the web app\'s');
    const mine = await register({ 'x-osloop-ui-token': bridge.uiToken }, 'added in the window');

    const client = new FleetClient(nc, orchestrator);
    await discovered(client);
    const machineId = bridge.fleet!.machineId;
    // Who asks is the orchestrator the fleet edge verified, never what the request says.
    const listed = (await client.mcpServers(machineId)) as { servers: Array<{ serverId: string; origin: string | null }> };
    expect(listed.servers.map((s) => [s.serverId, s.origin])).toEqual([[mine, null]]);
    const refused = await client.mcpCall(machineId, { serverId: theirs, tool: 'echo', arguments: {} }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(FleetRequestError);
    expect(refused).toMatchObject({ code: 'not_found' });
  }, 60_000);

  it('kills the sessions of an orchestrator unpaired on the Settings page at once', async () => {
    const client = new FleetClient(nc, orchestrator);
    await discovered(client);
    const machineId = bridge.fleet!.machineId;
    await client.runs(machineId);
    const response = await fetch(`${bridge.baseUrl}/api/v1/ui/settings`, {
      method: 'PATCH',
      headers: { 'x-osloop-ui-token': bridge.uiToken, 'content-type': 'application/json' },
      body: JSON.stringify({ fleetOrchestrators: [] }),
    });
    expect(response.status).toBe(200);
    const refused = await client.runs(machineId).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(FleetRequestError);
    expect(refused).toMatchObject({ code: 'forbidden', reason: 'unpaired' });
  }, 60_000);
});
