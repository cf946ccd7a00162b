import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createCurve, createUser } from '@nats-io/nkeys';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetClient, FleetRequestError } from '../../src/fleet/client/index.js';
import { requireNatsServer, startNatsServer, type NatsServerHandle } from '../support/nats-server.js';
import { startTestBridge, type TestBridge } from '../support/test-bridge.js';

const { skip } = requireNatsServer();
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);

/** `osloop-bridge fleet …` as a user runs it, in its own process, for the bridge home `home`. */
const fleetCli = (home: string, ...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'fleet', ...args], { cwd: ROOT, env: { ...process.env, OSLOOP_BRIDGE_HOME: home }, timeout: 60_000 });

const refusalOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe.skipIf(skip)('`osloop-bridge fleet pair|unpair` with a running bridge', () => {
  let server: NatsServerHandle;
  let bridge: TestBridge;
  let nc: NatsConnection;
  const orchestrator = { identity: createUser(), curve: createCurve() };
  const key = orchestrator.identity.getPublicKey();

  beforeAll(async () => {
    server = await startNatsServer();
    bridge = await startTestBridge({ natsUrl: server.url });
    await bridge.fleet!.connected();
    nc = await connect({ servers: server.url });
  }, 60_000);

  afterAll(async () => {
    await nc?.close();
    await bridge?.close();
    await server?.stop();
  });

  it('pairs and unpairs through the running bridge, taking effect without a restart', async () => {
    const client = new FleetClient(nc, orchestrator);
    const machineId = bridge.fleet!.machineId;
    while (!(await client.discover({ maxWaitMs: 500 })).some((m) => m.machineId === machineId));
    expect(await refusalOf(client.runs(machineId))).toMatchObject({ code: 'forbidden', reason: 'unpaired' });

    const paired = await fleetCli(bridge.home, 'pair', key, '--label', 'build orchestrator');
    expect(paired.stdout).toMatch(/applies it now/);
    expect(bridge.config.current.nats.orchestrators).toEqual([{ key, label: 'build orchestrator', pairedAt: expect.any(String) }]);
    // Saved by the bridge itself, so its next save cannot undo it.
    expect(JSON.parse(await readFile(bridge.config.file, 'utf8'))).toMatchObject({ nats: { orchestrators: [{ key, label: 'build orchestrator' }] } });
    expect(await client.runs(machineId)).toMatchObject({ runs: [] });

    const unpaired = await fleetCli(bridge.home, 'unpair', key);
    expect(unpaired.stdout).toMatch(/refuses its requests and sessions from now on/);
    const refused = await refusalOf(client.runs(machineId));
    expect(refused).toBeInstanceOf(FleetRequestError);
    expect(refused).toMatchObject({ code: 'forbidden', reason: 'unpaired' });
  }, 120_000);

  it('refuses a key with a bad checksum, changing nothing', async () => {
    const bad = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
    const failed = await refusalOf(fleetCli(bridge.home, 'pair', bad));
    expect(failed).toMatchObject({ code: 1, stderr: expect.stringMatching(/nkey public key/) });
    expect(bridge.config.current.nats.orchestrators.map((o) => o.key)).not.toContain(bad);
  }, 60_000);
});

describe('`osloop-bridge fleet pair` without a running bridge', () => {
  it('edits the config file for the next start', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'osloop-fleet-cli-'));
    try {
      const key = createUser().getPublicKey();
      const paired = await fleetCli(home, 'pair', key);
      expect(paired.stdout).toMatch(/No bridge is running/);
      const config = JSON.parse(await readFile(path.join(home, 'config.json'), 'utf8')) as { nats: { orchestrators: Array<{ key: string }> } };
      expect(config.nats.orchestrators.map((o) => o.key)).toEqual([key]);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  }, 60_000);
});
