import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { principalScope, type Principal } from '../../../src/contract/principal.js';
import type { McpServerView } from '../../../src/contract/routes/mcp.js';
import { InMemoryConnector } from '../../../src/mcp/in-memory-connector.js';
import { twinServer } from '../../fixtures/mcp/twin-servers.js';
import { startMcpHarness, UI, USER, waitForState, type McpHarness } from './harness.js';

const USER_ORIGIN = principalScope(USER);
const HTTP = { type: 'streamable-http', url: 'http://127.0.0.1:7/mcp', headers: { authorization: 'Bearer resolved-secret' }, template: { url: 'http://127.0.0.1:7/mcp', headers: { authorization: 'Bearer __OSL_SECRET[key]__' } } };
const STDIO = {
  type: 'stdio',
  command: 'twin',
  args: ['--token', 'resolved-arg'],
  env: { API_KEY: 'resolved-env' },
  template: { command: 'twin', args: ['--token', '__OSL_SECRET[arg]__'], env: { API_KEY: '__OSL_SECRET[env]__' } },
};

describe('the MCP server registry', () => {
  let harness: McpHarness | undefined;
  const homes: string[] = [];
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
    await Promise.all(homes.splice(0).map((home) => rm(home, { recursive: true, force: true })));
  });
  const start = async (home?: string) => {
    harness = await startMcpHarness({ connector: new InMemoryConnector({ twin: twinServer, 'http://127.0.0.1:7/mcp': twinServer }), ...(home ? { home } : {}) });
    return harness;
  };
  const register = (h: McpHarness, body: object) => h.call<McpServerView>('mcp.servers.register', { body });

  it('registers a server and lists it with its template, never resolved values', async () => {
    const h = await start();
    const view = await register(h, { name: 'everything', transport: STDIO });
    expect(view).toMatchObject({
      name: 'everything',
      state: 'disconnected',
      transport: { type: 'stdio', command: 'twin', args: ['--token', '__OSL_SECRET[arg]__'], cwd: null, envNames: ['API_KEY'] },
      options: { autoConnect: false, callTimeoutMs: 60_000, enabledTools: null },
      nonLoopback: false,
      needsResolvedValues: false,
    });
    expect(view.serverId).toMatch(/^mcp_/);
    expect(await h.call('mcp.servers.list', {})).toEqual({ servers: [view] });
  });

  it('never shows header or environment values, not even in template form, nor on the bus', async () => {
    const h = await start();
    await register(h, { name: 'remote', transport: HTTP });
    await register(h, { name: 'local', transport: STDIO });
    const everything = JSON.stringify([await h.call('mcp.servers.list', {}), h.events, h.transitions]);
    for (const value of ['resolved-secret', 'resolved-env', 'resolved-arg', '__OSL_SECRET[key]__', '__OSL_SECRET[env]__']) expect(everything).not.toContain(value);
    expect(everything).toContain('"headerNames":["authorization"]');
  });

  it('lists a pre-registered OAuth client with its issuer, never its secret', async () => {
    const h = await start();
    const oauth = { clientId: 'client-1', clientSecret: 'the-client-secret', issuer: 'https://auth.example.com', scope: 'read' };
    const view = await register(h, { name: 'remote', transport: { type: 'streamable-http', url: 'http://127.0.0.1:7/mcp', oauth } });
    expect(view.transport).toMatchObject({
      oauth: { grant: 'authorization_code', clientId: 'client-1', clientMetadataUrl: null, scope: 'read', issuer: 'https://auth.example.com', hasClientSecret: true },
    });
    expect(JSON.stringify([await h.call('mcp.servers.list', {}), h.events, h.transitions])).not.toContain('the-client-secret');
  });

  it.each([
    ['http://127.0.0.1:7/mcp', false],
    ['http://localhost:7/mcp', false],
    ['http://[::1]:7/mcp', false],
    ['https://mcp.example.com/mcp', true],
    ['http://192.168.1.10:7/mcp', true],
  ])('flags %s as non-loopback: %s', async (url, flagged) => {
    const h = await start();
    const view = await register(h, { name: 'remote', transport: { type: 'sse', url } });
    expect(view.nonLoopback).toBe(flagged);
  });

  it('refuses a duplicate name with 409, on register and on rename', async () => {
    const h = await start();
    await register(h, { name: 'one', transport: HTTP });
    const two = await register(h, { name: 'two', transport: HTTP });
    await expect(register(h, { name: 'one', transport: HTTP })).rejects.toMatchObject({ code: 'conflict' });
    await expect(h.call('mcp.servers.update', { params: { serverId: two.serverId }, body: { name: 'one' } })).rejects.toMatchObject({ code: 'conflict' });
  });

  describe('whose servers are whose', () => {
    const OTHER: Principal = { kind: 'session', sessionId: 'ses_other', origin: 'https://other.example' };
    const LOCAL: Principal = { kind: 'session', sessionId: 'ses_cli', origin: null };
    const FLEET: Principal = { kind: 'fleet', orchestrator: 'UORCHESTRATOR' };
    const names = async (h: McpHarness, principal: Principal) => ((await h.call<{ servers: McpServerView[] }>('mcp.servers.list', { principal })).servers).map((s) => `${s.name}@${s.origin}`).sort();

    it('gives each server to the origin that registered it: names are unique per origin, and the local UI sees all', async () => {
      const h = await start();
      const mine = await register(h, { name: 'shared-name', transport: HTTP });
      const theirs = await h.call<McpServerView>('mcp.servers.register', { principal: OTHER, body: { name: 'shared-name', transport: HTTP } });
      const local = await h.call<McpServerView>('mcp.servers.register', { principal: LOCAL, body: { name: 'local', transport: HTTP } });
      expect([mine.origin, theirs.origin, local.origin]).toEqual([USER_ORIGIN, OTHER.origin, null]);
      expect(await names(h, USER)).toEqual([`shared-name@${USER_ORIGIN}`]);
      expect(await names(h, OTHER)).toEqual(['shared-name@https://other.example']);
      expect(await names(h, UI)).toEqual(['local@null', 'shared-name@http://127.0.0.1:1', 'shared-name@https://other.example']);
      // What the user adds in the status window is the local user's too.
      await h.call('mcp.servers.register', { principal: UI, body: { name: 'added-in-the-window', transport: HTTP } });
      // A fleet orchestrator uses the local user's servers, never a web app's.
      expect(await names(h, FLEET)).toEqual(['added-in-the-window@null', 'local@null']);
      // Within one origin a name is still unique.
      await expect(h.call('mcp.servers.register', { principal: OTHER, body: { name: 'shared-name', transport: HTTP } })).rejects.toMatchObject({ code: 'conflict' });
    });

    it('answers 404 to another origin for every route naming the server, and changes nothing', async () => {
      const h = await start();
      const { serverId } = await register(h, { name: 'mine', transport: { type: 'streamable-http', url: 'http://127.0.0.1:7/mcp' } });
      await h.call('mcp.servers.connect', { params: { serverId } });
      await waitForState(h, serverId, 'connected');
      const params = { serverId };
      const attempts: Array<[string, object]> = [
        ['mcp.servers.update', { params, body: { name: 'stolen' } }],
        ['mcp.servers.connect', { params }],
        ['mcp.servers.disconnect', { params }],
        ['mcp.servers.capabilities', { params }],
        ['mcp.servers.logs', { params }],
        ['mcp.servers.authorize', { params }],
        ['mcp.call', { body: { serverId, tool: 'echo', arguments: { text: 'x' } } }],
        ['mcp.resources.read', { body: { serverId, uri: 'twin://a' } }],
        ['mcp.prompts.get', { body: { serverId, name: 'greet' } }],
        ['mcp.servers.remove', { params }],
      ];
      for (const principal of [OTHER, LOCAL, FLEET]) {
        for (const [routeId, request] of attempts) {
          await expect(h.call(routeId, { ...request, principal }), `${routeId} by ${principal.kind}`).rejects.toMatchObject({ code: 'not_found', details: { serverId } });
        }
      }
      expect(await h.call('mcp.servers.list', {})).toMatchObject({ servers: [{ serverId, name: 'mine', state: 'connected' }] });
      // The local UI acts on anyone's server.
      expect(await h.call('mcp.servers.capabilities', { principal: UI, params })).toMatchObject({ serverId });
      expect(await h.call('mcp.servers.remove', { principal: UI, params })).toEqual({ serverId, removed: true });
    });
  });

  it('persists servers atomically and loads them again after a restart', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'osloop-mcp-'));
    homes.push(home);
    const h = await start(home);
    const view = await register(h, { name: 'remote', transport: { type: 'streamable-http', url: 'http://127.0.0.1:7/mcp' }, options: { enabledTools: ['echo'] } });
    const file = JSON.parse(await readFile(h.registryFile, 'utf8'));
    expect(file).toMatchObject({ version: 1, servers: [{ serverId: view.serverId, name: 'remote' }] });
    await h.stop({ keepHome: true });

    const again = await start(home);
    expect(await again.call('mcp.servers.list', {})).toEqual({ servers: [view] });
  });

  it('keeps resolved values in memory only: after a restart, connecting answers 409 until the transport is sent again', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'osloop-mcp-'));
    homes.push(home);
    const h = await start(home);
    const { serverId } = await register(h, { name: 'remote', transport: HTTP });
    expect(await readFile(h.registryFile, 'utf8')).not.toContain('resolved-secret');
    await h.stop({ keepHome: true });

    const again = await start(home);
    const [listed] = (await again.call<{ servers: McpServerView[] }>('mcp.servers.list', {})).servers;
    expect(listed?.needsResolvedValues).toBe(true);
    await expect(again.call('mcp.servers.connect', { params: { serverId } })).rejects.toMatchObject({ code: 'conflict', details: { reason: 'needs_resolved_values' } });
    const patched = await again.call<McpServerView>('mcp.servers.update', { params: { serverId }, body: { transport: HTTP } });
    expect(patched.needsResolvedValues).toBe(false);
    expect(await again.call('mcp.servers.connect', { params: { serverId } })).toMatchObject({ state: 'awaiting_permission' });
  });

  it('connects autoConnect servers again when the bridge starts', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'osloop-mcp-'));
    homes.push(home);
    const h = await start(home);
    const { serverId } = await register(h, { name: 'remote', transport: { type: 'streamable-http', url: 'http://127.0.0.1:7/mcp' }, options: { autoConnect: true } });
    await waitForState(h, serverId, 'connected');
    await h.stop({ keepHome: true });

    const again = await start(home);
    await waitForState(again, serverId, 'connected');
  });

  it('updates only the options given and announces the update', async () => {
    const h = await start();
    const { serverId } = await register(h, { name: 'remote', transport: HTTP, options: { callTimeoutMs: 1_000 } });
    const view = await h.call<McpServerView>('mcp.servers.update', { params: { serverId }, body: { options: { enabledTools: ['echo'] } } });
    expect(view.options).toEqual({ autoConnect: false, callTimeoutMs: 1_000, enabledTools: ['echo'] });
    expect(h.events.map((e) => e.type)).toEqual(['mcp.server.registered', 'mcp.server.updated']);
  });

  it('answers 404 for an unknown server on every per-server route', async () => {
    const h = await start();
    const params = { serverId: 'mcp_missing' };
    for (const [routeId, body] of [
      ['mcp.servers.update', { name: 'x' }],
      ['mcp.servers.remove', undefined],
      ['mcp.servers.connect', undefined],
      ['mcp.servers.disconnect', undefined],
      ['mcp.servers.capabilities', undefined],
    ] as const) {
      await expect(h.call(routeId, { params, body })).rejects.toMatchObject({ code: 'not_found' });
    }
  });

  it('disconnects a connected server before deleting it, then forgets it', async () => {
    const connector = new InMemoryConnector({ 'http://127.0.0.1:7/mcp': twinServer });
    const h = (harness = await startMcpHarness({ connector }));
    const { serverId } = await register(h, { name: 'remote', transport: HTTP });
    await h.call('mcp.servers.connect', { params: { serverId } });
    await expect.poll(() => connector.liveCount('http://127.0.0.1:7/mcp')).toBe(1);
    expect(await h.call('mcp.servers.remove', { params: { serverId } })).toEqual({ serverId, removed: true });
    expect(connector.liveCount('http://127.0.0.1:7/mcp')).toBe(0);
    expect(h.runtime.child(serverId)).toBeUndefined();
    expect(await h.call('mcp.servers.list', {})).toEqual({ servers: [] });
    expect(JSON.parse(await readFile(h.registryFile, 'utf8')).servers).toEqual([]);
    expect(h.events.at(-1)).toEqual({ type: 'mcp.server.removed', data: { serverId, name: 'remote', origin: USER_ORIGIN } });
  });

  it('reports a corrupt registry file, answers 503, and never overwrites the file', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'osloop-mcp-'));
    homes.push(home);
    const file = path.join(home, 'mcp-servers.json');
    await writeFile(file, '{"version":1,"servers":[{"name":');
    const h = await start(home);
    expect(h.capabilities.list().find((c) => c.id === 'mcp_proxy')).toMatchObject({ available: false, reason: expect.stringContaining('not valid') });
    await expect(h.call('mcp.servers.list', {})).rejects.toMatchObject({ code: 'unavailable', details: { file } });
    await expect(register(h, { name: 'x', transport: HTTP })).rejects.toMatchObject({ code: 'unavailable' });
    expect(await readFile(file, 'utf8')).toBe('{"version":1,"servers":[{"name":');
  });
});
