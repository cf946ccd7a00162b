import { afterEach, describe, expect, it } from 'vitest';
import type { McpServerView } from '../../../src/contract/routes/mcp.js';
import { InMemoryConnector } from '../../../src/mcp/in-memory-connector.js';
import type { PermissionVerdict } from '../../../src/services/permissions/permission-api.js';
import { twinServer } from '../../fixtures/mcp/twin-servers.js';
import { allowedByRule, deniedByPolicy, startFakeAuthority } from './fake-authority.js';
import { USER, startMcpHarness, waitForState, type McpHarness } from './harness.js';

const STDIO = {
  type: 'stdio',
  command: 'twin',
  args: ['--key', 'resolved-key'],
  cwd: '/tmp',
  template: { command: 'twin', args: ['--key', '__OSL_SECRET[key]__'], cwd: '/tmp' },
};

describe('starting a stdio MCP server', () => {
  let harness: McpHarness | undefined;
  let stopAuthority: (() => void) | undefined;
  afterEach(async () => {
    stopAuthority?.();
    await harness?.stop();
    harness = undefined;
  });

  async function start(decide?: () => PermissionVerdict, options: { authority?: boolean } = {}) {
    const connector = new InMemoryConnector({ twin: twinServer });
    const h = (harness = await startMcpHarness({ connector, userApprovesHttp: false }));
    const authority = startFakeAuthority(h.bus, h.subjects, decide);
    stopAuthority = authority.stop;
    if (options.authority === false) authority.stop();
    const { serverId } = await h.call<McpServerView>('mcp.servers.register', { body: { name: 'local', transport: STDIO } });
    return { h, connector, authority, serverId };
  }

  it('asks the permission authority with the template command line, and waits in awaiting_permission', async () => {
    const { h, connector, authority, serverId } = await start();
    expect(await h.call('mcp.servers.connect', { params: { serverId } })).toEqual({ serverId, state: 'awaiting_permission', promptId: 'prm_1' });
    expect(authority.requests).toEqual([
      {
        subjectKind: 'mcp_server',
        subjectId: serverId,
        template: { command: 'twin', args: ['--key', '__OSL_SECRET[key]__'], cwd: '/tmp' },
        title: 'Start the MCP server "local"',
        reason: expect.any(String),
        requestedBy: USER,
        whitelistAllowed: true,
        details: { serverId, serverName: 'local', transport: 'stdio' },
      },
    ]);
    expect(connector.starts('twin')).toBe(0);
    const [view] = (await h.call<{ servers: McpServerView[] }>('mcp.servers.list', {})).servers;
    expect(view).toMatchObject({ state: 'awaiting_permission', promptId: 'prm_1' });

    authority.allow(serverId);
    await waitForState(h, serverId, 'connected');
    expect(connector.starts('twin')).toBe(1);
  });

  it('starts at once when a whitelist rule allows the command', async () => {
    const { h, serverId } = await start(allowedByRule);
    expect(await h.call('mcp.servers.connect', { params: { serverId } })).toEqual({ serverId, state: 'connecting' });
    await waitForState(h, serverId, 'connected');
  });

  it('refuses with 403 bridge_policy_denied and starts nothing when the policy forbids the command', async () => {
    const { h, connector, serverId } = await start(deniedByPolicy);
    await expect(h.call('mcp.servers.connect', { params: { serverId } })).rejects.toMatchObject({ code: 'bridge_policy_denied' });
    expect(connector.starts('twin')).toBe(0);
  });

  it.each(['rejected_by_user', 'permission_timeout'] as const)('ends disconnected with %s, starting nothing', async (code) => {
    const { h, connector, authority, serverId } = await start();
    await h.call('mcp.servers.connect', { params: { serverId } });
    authority.reject(serverId, code);
    const context = await waitForState(h, serverId, 'disconnected');
    expect(context.lastErrorCode).toBe(code);
    expect(connector.starts('twin')).toBe(0);
    expect(h.events.at(-1)).toMatchObject({ type: 'mcp.server.state_changed', data: { state: 'disconnected', previousState: 'awaiting_permission', lastErrorCode: code } });
  });

  it('withdraws the prompt when disconnected while waiting', async () => {
    const { h, authority, serverId } = await start();
    await h.call('mcp.servers.connect', { params: { serverId } });
    await h.call('mcp.servers.disconnect', { params: { serverId } });
    await expect.poll(() => authority.cancels).toEqual(['prm_1']);
  });

  it('answers 503 when no permission authority runs', async () => {
    const { h, connector, serverId } = await start(undefined, { authority: false });
    await expect(h.call('mcp.servers.connect', { params: { serverId } })).rejects.toMatchObject({ code: 'unavailable' });
    expect(connector.starts('twin')).toBe(0);
  });

  it('restarts a crashed stdio server without asking again', async () => {
    const { h, connector, authority, serverId } = await start(allowedByRule);
    await h.call('mcp.servers.connect', { params: { serverId } });
    await waitForState(h, serverId, 'connected');
    await connector.crash('twin');
    await waitForState(h, serverId, 'reconnecting');
    await waitForState(h, serverId, 'connected');
    expect(authority.requests).toHaveLength(1);
    expect(connector.starts('twin')).toBe(2);
  });

  it('asks again for a new connect after a disconnect', async () => {
    const { h, authority, serverId } = await start(allowedByRule);
    await h.call('mcp.servers.connect', { params: { serverId } });
    await waitForState(h, serverId, 'connected');
    await h.call('mcp.servers.disconnect', { params: { serverId } });
    await h.call('mcp.servers.connect', { params: { serverId } });
    expect(authority.requests).toHaveLength(2);
  });

  it('asks the user for an HTTP server\'s exact URL and header names before it connects, never by a rule', async () => {
    const connector = new InMemoryConnector({ 'http://127.0.0.1:7/mcp': twinServer });
    const h = (harness = await startMcpHarness({ connector, userApprovesHttp: false }));
    const authority = startFakeAuthority(h.bus, h.subjects);
    stopAuthority = authority.stop;
    const transport = { type: 'streamable-http', url: 'http://127.0.0.1:7/mcp', headers: { Cookie: 'a=b', 'Metadata-Flavor': 'Google' } };
    const { serverId } = await h.call<McpServerView>('mcp.servers.register', { body: { name: 'remote', transport } });
    expect(await h.call('mcp.servers.connect', { params: { serverId } })).toMatchObject({ state: 'awaiting_permission' });
    expect(connector.starts('http://127.0.0.1:7/mcp')).toBe(0);
    expect(authority.requests).toMatchObject([
      { subjectKind: 'mcp_server', whitelistAllowed: false, details: { transport: 'streamable-http', url: 'http://127.0.0.1:7/mcp', headerNames: ['Cookie', 'Metadata-Flavor'] } },
    ]);
    expect(JSON.stringify(authority.requests)).not.toContain('Google');
    authority.allow(serverId);
    await waitForState(h, serverId, 'connected');
  });
});
