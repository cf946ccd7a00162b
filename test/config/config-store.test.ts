import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigStore, CorruptConfigError } from '../../src/config/config-store.js';
import { resolvePaths } from '../../src/config/paths.js';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'osloop-config-'));
  file = path.join(dir, 'config.json');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('ConfigStore', () => {
  it('starts from defaults when there is no file: port 47832, no extra origins', async () => {
    const store = await ConfigStore.open(file);
    expect(store.current).toMatchObject({ port: 47832, allowedOrigins: [], promptTimeoutMs: 60_000, defaultCommandTimeoutMs: 300_000 });
  });

  it('persists an update atomically, readable by a new store, owner-only', async () => {
    const store = await ConfigStore.open(file);
    await store.update({ allowedOrigins: ['https://app.osloop.example'], trayMode: true });
    const reopened = await ConfigStore.open(file);
    expect(reopened.current.allowedOrigins).toEqual(['https://app.osloop.example']);
    expect(reopened.current.trayMode).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it.each([
    ['an origin with a path', { allowedOrigins: ['https://app.example/path'] }],
    ['a port out of range', { port: 70_000 }],
    ['an unknown setting', { nope: true }],
  ])('refuses %s and leaves the file as it was', async (_name, patch) => {
    const store = await ConfigStore.open(file);
    await store.update({ trayMode: true });
    const before = await readFile(file, 'utf8');
    await expect(store.update(patch as never)).rejects.toMatchObject({ code: 'invalid_request' });
    expect(await readFile(file, 'utf8')).toBe(before);
    expect(store.current.trayMode).toBe(true);
  });

  it.each([
    ['not JSON', '{"port": 47832,'],
    ['a wrong type', '{"port": "high"}'],
    ['a prototype-poisoning key', '{"__proto__": {"port": 1}}'],
  ])('reports a corrupt file (%s) clearly and never overwrites it', async (_name, content) => {
    await writeFile(file, content);
    await expect(ConfigStore.open(file)).rejects.toBeInstanceOf(CorruptConfigError);
    await expect(ConfigStore.open(file)).rejects.toThrow(/left untouched/);
    expect(await readFile(file, 'utf8')).toBe(content);
  });

  it('serialises concurrent updates so the last one wins on disk', async () => {
    const store = await ConfigStore.open(file);
    await Promise.all([store.update({ promptTimeoutMs: 1_000 }), store.update({ promptTimeoutMs: 2_000 }), store.update({ promptTimeoutMs: 3_000 })]);
    expect(JSON.parse(await readFile(file, 'utf8')).promptTimeoutMs).toBe(3_000);
  });
});

describe('resolvePaths', () => {
  it('puts config and data under OSLOOP_BRIDGE_HOME when set', () => {
    const paths = resolvePaths({ OSLOOP_BRIDGE_HOME: '/tmp/home-x' });
    expect(paths.configFile).toBe('/tmp/home-x/config.json');
    expect(paths.databaseFile).toBe('/tmp/home-x/bridge.db');
    expect(paths.uiTokenFile).toBe('/tmp/home-x/ui-token');
  });
});
