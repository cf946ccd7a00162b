import { mkdtemp, readFile, rm, stat, chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createUser } from '@nats-io/nkeys';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigStore } from '../../src/config/config-store.js';
import { IDENTITY_FILE_NAME, loadOrCreateIdentity } from '../../src/fleet/identity.js';
import { pairOrchestrator, unpairOrchestrator } from '../../src/fleet/pairing.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let home: string;
beforeEach(async () => (home = await mkdtemp(path.join(os.tmpdir(), 'osloop-fleet-pair-'))));
afterEach(async () => rm(home, { recursive: true, force: true }));

describe('the fleet identity', () => {
  it('is created owner-only and stays the same machine id across loads', async () => {
    const first = await loadOrCreateIdentity(home);
    expect(first.machineId).toMatch(/^U[A-Z2-7]{55}$/);
    expect((await stat(path.join(home, IDENTITY_FILE_NAME))).mode & 0o777).toBe(0o600);
    expect((await loadOrCreateIdentity(home)).machineId).toBe(first.machineId);
  });

  it('is made owner-only again, with a warning, when someone widened its file', async () => {
    await loadOrCreateIdentity(home);
    await chmod(path.join(home, IDENTITY_FILE_NAME), 0o644);
    const warnings: string[] = [];
    await loadOrCreateIdentity(home, (message) => warnings.push(message));
    expect(warnings.join()).toMatch(/readable by other users/);
    expect((await stat(path.join(home, IDENTITY_FILE_NAME))).mode & 0o777).toBe(0o600);
  });
});

describe('pairing', () => {
  it('stores a valid orchestrator key once, and unpairs it', async () => {
    const config = ConfigStore.fromValue(path.join(home, 'config.json'));
    const key = createUser().getPublicKey();
    await pairOrchestrator(config, key, 'build box');
    expect(await pairOrchestrator(config, key)).toHaveLength(1);
    expect(config.current.nats.orchestrators[0]).toMatchObject({ key, label: 'build box' });
    expect(await unpairOrchestrator(config, key)).toEqual([]);
  });

  it.each([['a curve key', 'X'.padEnd(56, 'A')], ['a broken checksum', `U${'A'.repeat(55)}`], ['text', 'hello']])('refuses %s', async (_name, key) => {
    const config = ConfigStore.fromValue(path.join(home, 'config.json'));
    await expect(pairOrchestrator(config, key)).rejects.toMatchObject({ code: 'invalid_request' });
    expect(config.current.nats.orchestrators).toEqual([]);
  });

  it('is what `osloop-bridge fleet pair <key>` writes to the config file', async () => {
    const key = createUser().getPublicKey();
    const run = (args: string[]) => execa(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'fleet', ...args], { cwd: ROOT, env: { ...process.env, OSLOOP_BRIDGE_HOME: home }, reject: false });
    const paired = await run(['pair', key, '--label', 'laptop']);
    expect(paired.exitCode).toBe(0);
    const stored = JSON.parse(await readFile(path.join(home, 'config.json'), 'utf8')) as { nats: { orchestrators: Array<{ key: string; label: string }> } };
    expect(stored.nats.orchestrators).toEqual([expect.objectContaining({ key, label: 'laptop' })]);
    expect((await run(['pair', 'not-a-key'])).exitCode).toBe(1);
    expect((await run(['id'])).stdout.trim()).toMatch(/^U[A-Z2-7]{55}$/);
  }, 60_000);
});
