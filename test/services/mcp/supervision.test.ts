import { afterEach, describe, expect, it } from 'vitest';
import type { McpServerView } from '../../../src/contract/routes/mcp.js';
import { InMemoryConnector } from '../../../src/mcp/in-memory-connector.js';
import { gatedListingServer, twinServer } from '../../fixtures/mcp/twin-servers.js';
import { connectHttp, startMcpHarness, waitForState, type McpHarness } from './harness.js';

const A = 'http://127.0.0.1:7/a';

describe('MCP connection supervision', () => {
  let harness: McpHarness | undefined;
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });
  const start = async (connector: InMemoryConnector) => (harness = await startMcpHarness({ connector }));
  const states = (h: McpHarness, serverId: string) =>
    h.events.filter((e) => e.type === 'mcp.server.state_changed' && (e.data as { serverId: string }).serverId === serverId).map((e) => (e.data as { state: string }).state);
  const view = async (h: McpHarness, serverId: string) =>
    (await h.call<{ servers: McpServerView[] }>('mcp.servers.list', {})).servers.find((s) => s.serverId === serverId)!;

  it('restarts a crashed server and lists its capabilities again', async () => {
    const connector = new InMemoryConnector({ [A]: twinServer });
    const h = await start(connector);
    const serverId = await connectHttp(h, 'a', A);
    await connector.crash(A);
    await waitForState(h, serverId, 'reconnecting');
    await waitForState(h, serverId, 'connected');
    expect(connector.starts(A)).toBe(2);
    // The user approves the first connect; the supervised restart asks nobody again.
    expect(states(h, serverId)).toEqual(['awaiting_permission', 'connecting', 'connected', 'reconnecting', 'connecting', 'connected']);
    expect(h.events.filter((e) => e.type === 'mcp.server.capabilities_changed')).toHaveLength(2);
    expect(await h.call('mcp.call', { body: { serverId, tool: 'echo', arguments: { message: 'back' } } })).toMatchObject({ content: [{ text: 'Echo: back' }] });
  });

  it('ends failed with the stderr of a server that exits at once, after the bounded restarts', async () => {
    const connector = new InMemoryConnector({ [A]: { crashOnStart: { stderr: 'fatal: no API key\nbye\n' } } });
    const h = await start(connector);
    const { serverId } = await h.call<McpServerView>('mcp.servers.register', { body: { name: 'a', transport: { type: 'sse', url: A } } });
    await h.call('mcp.servers.connect', { params: { serverId } });
    const context = await waitForState(h, serverId, 'failed');
    expect(connector.starts(A)).toBe(3);
    // An HTTP server's lastError is a short generic reason, never upstream text; the tail keeps its output.
    expect(context.lastError).toBe('The connection to the MCP server failed.');
    const listed = await view(h, serverId);
    expect(listed).toMatchObject({ state: 'failed', lastErrorCode: 'upstream_error', reconnectAttempts: 2 });
    expect(listed.stderrTail).toContain('fatal: no API key');
    expect(h.events.at(-1)).toMatchObject({ type: 'mcp.server.state_changed', data: { state: 'failed', lastError: 'The connection to the MCP server failed.' } });
  });

  it('lists a kind again when the server says it changed, and announces which', async () => {
    const connector = new InMemoryConnector({ [A]: twinServer });
    const h = await start(connector);
    const serverId = await connectHttp(h, 'a', A);
    connector.servers(A)[0]!.registerTool('added', { description: 'new' }, async () => ({ content: [] }));
    await expect
      .poll(() => h.events.filter((e) => e.type === 'mcp.server.capabilities_changed').at(-1)?.data)
      .toEqual({ serverId, changed: ['tools'], toolsCount: 5, resourcesCount: 1, promptsCount: 1 });
    const capabilities = await h.call<{ tools: Array<{ name: string }> }>('mcp.servers.capabilities', { params: { serverId } });
    expect(capabilities.tools.map((t) => t.name)).toContain('added');
  });

  it('does not lose a list change that arrives while the bridge is still listing', async () => {
    const gated = gatedListingServer();
    const h = await start(new InMemoryConnector({ [A]: gated.factory }));
    const { serverId } = await h.call<McpServerView>('mcp.servers.register', { body: { name: 'a', transport: { type: 'sse', url: A } } });
    await h.call('mcp.servers.connect', { params: { serverId } });
    await expect.poll(() => gated.promptsRequested()).toBe(true);
    await gated.addTool('late');
    // Let the client handle the notification before the listing completes.
    await new Promise((resolve) => setImmediate(resolve));
    gated.openGate();
    await waitForState(h, serverId, 'connected');
    await expect
      .poll(async () => (await h.call<{ tools: Array<{ name: string }> }>('mcp.servers.capabilities', { params: { serverId } })).tools.map((t) => t.name))
      .toEqual(['echo', 'late']);
  });

  it('keeps the last stderr lines of a server in its details', async () => {
    const connector = new InMemoryConnector({ [A]: twinServer });
    const h = await start(connector);
    const serverId = await connectHttp(h, 'a', A);
    connector.writeStderr(A, 'warming up\nready');
    expect((await view(h, serverId)).stderrTail).toEqual(['warming up', 'ready']);
  });

  it('disconnects idempotently and closes every connection when stopped', async () => {
    const connector = new InMemoryConnector({ [A]: twinServer, 'http://127.0.0.1:7/b': twinServer });
    const h = await start(connector);
    const serverId = await connectHttp(h, 'a', A);
    await connectHttp(h, 'b', 'http://127.0.0.1:7/b');
    expect(await h.call('mcp.servers.disconnect', { params: { serverId } })).toEqual({ serverId, state: 'disconnected' });
    expect(await h.call('mcp.servers.disconnect', { params: { serverId } })).toEqual({ serverId, state: 'disconnected' });
    expect(connector.liveCount(A)).toBe(0);
    await h.stop();
    harness = undefined;
    expect(connector.liveCount('http://127.0.0.1:7/b')).toBe(0);
  });

  it('reconnects a connected server with its new transport when the transport changes', async () => {
    const B = 'http://127.0.0.1:7/b';
    const connector = new InMemoryConnector({ [A]: twinServer, [B]: twinServer });
    const h = await start(connector);
    const serverId = await connectHttp(h, 'a', A);
    await h.call('mcp.servers.update', { params: { serverId }, body: { transport: { type: 'streamable-http', url: B } } });
    await waitForState(h, serverId, 'connected');
    expect(connector.liveCount(A)).toBe(0);
    expect(connector.liveCount(B)).toBe(1);
  });

  it('connects autoConnect servers when registered', async () => {
    const connector = new InMemoryConnector({ [A]: twinServer });
    const h = await start(connector);
    const { serverId } = await h.call<McpServerView>('mcp.servers.register', { body: { name: 'a', transport: { type: 'sse', url: A }, options: { autoConnect: true } } });
    await waitForState(h, serverId, 'connected');
  });
});
