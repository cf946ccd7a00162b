import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CorruptRegistryError, McpRegistryStore } from '../../../src/services/mcp/registry-store.js';
import type { ServerRecord } from '../../../src/services/mcp/server-record.js';

const record = (serverId: string, name = serverId): ServerRecord => ({
  serverId,
  name,
  origin: 'https://app.example',
  transport: { type: 'sse', url: 'http://127.0.0.1:7/sse', headers: {} },
  needsResolvedValues: false,
  options: { autoConnect: false, callTimeoutMs: 1_000, enabledTools: null },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

describe('the registry file', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'osloop-registry-'));
    file = path.join(dir, 'mcp-servers.json');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('starts empty when the file does not exist, and creates it on the first change', async () => {
    const store = await McpRegistryStore.open(file);
    expect(store.list()).toEqual([]);
    await store.update((servers) => servers.set('mcp_a', record('mcp_a')));
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ version: 1, servers: [record('mcp_a')] });
    expect((await McpRegistryStore.open(file)).list()).toEqual([record('mcp_a')]);
  });

  it('reads a server written before servers had owners as the local user\'s (origin null)', async () => {
    const { origin: _, ...legacy } = record('mcp_old');
    await writeFile(file, JSON.stringify({ version: 1, servers: [legacy] }));
    expect((await McpRegistryStore.open(file)).list()).toEqual([{ ...legacy, origin: null }]);
  });

  it('applies concurrent changes one after the other, losing none', async () => {
    const store = await McpRegistryStore.open(file);
    await Promise.all(['a', 'b', 'c', 'd'].map((id) => store.update((servers) => servers.set(`mcp_${id}`, record(`mcp_${id}`)))));
    expect((await McpRegistryStore.open(file)).list().map((r) => r.serverId).sort()).toEqual(['mcp_a', 'mcp_b', 'mcp_c', 'mcp_d']);
  });

  it('changes nothing, on disk or in memory, when a change throws', async () => {
    const store = await McpRegistryStore.open(file);
    await store.update((servers) => servers.set('mcp_a', record('mcp_a')));
    const before = await readFile(file, 'utf8');
    await expect(
      store.update((servers) => {
        servers.delete('mcp_a');
        throw new Error('conflict found under the lock');
      }),
    ).rejects.toThrow('conflict');
    expect(store.list()).toEqual([record('mcp_a')]);
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  it.each([
    ['not JSON', '{"version":1,'],
    ['an unknown version', '{"version":2,"servers":[]}'],
    ['a bad record', '{"version":1,"servers":[{"serverId":"mcp_a"}]}'],
    ['a prototype-pollution key', '{"version":1,"servers":[],"__proto__":{"x":1}}'],
    ['a server listed twice', JSON.stringify({ version: 1, servers: [record('mcp_a'), record('mcp_a')] })],
  ])('refuses a file with %s and leaves it untouched', async (_label, text) => {
    await writeFile(file, text);
    await expect(McpRegistryStore.open(file)).rejects.toBeInstanceOf(CorruptRegistryError);
    expect(await readFile(file, 'utf8')).toBe(text);
  });
});
