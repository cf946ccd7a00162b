import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEverythingHttp, type RunningHttpServer } from '../fixtures/mcp/everything.js';
import { startMcpE2e, type McpE2e } from './mcp-support.js';

/**
 * The web app's whole journey with a real MCP server over Streamable HTTP, through a real bridge
 * over HTTP and WebSocket: no permission is involved, as no process is started.
 */
describe('an MCP server over Streamable HTTP, end to end', () => {
  let everything: RunningHttpServer;
  let e2e: McpE2e;
  beforeAll(async () => {
    [everything, e2e] = await Promise.all([startEverythingHttp('streamableHttp'), startMcpE2e()]);
  });
  afterAll(async () => {
    await e2e?.close();
    await everything?.stop();
  });

  it('registers, connects, lists, calls, follows a list change, disconnects and deletes', async () => {
    const { api } = e2e.client;
    const registered = await api.mcpServersRegister({
      body: {
        name: 'everything',
        transport: {
          type: 'streamable-http',
          url: everything.url,
          headers: { authorization: 'Bearer resolved-header-secret' },
          template: { url: everything.url, headers: { authorization: 'Bearer __OSL_SECRET[token]__' } },
        },
      },
    });
    const { serverId } = registered;
    expect(registered).toMatchObject({ state: 'disconnected', nonLoopback: false, transport: { type: 'streamable-http', headerNames: ['authorization'] } });

    // The user approves the exact URL and header names first; nothing is sent before.
    const asked = await api.mcpServersConnect({ params: { serverId } });
    expect(asked).toEqual({ serverId, state: 'awaiting_permission', promptId: expect.any(String) });
    const prompt = await e2e.waitForEvent((e) => e.type === 'permission.prompt.created' && (e.data as { promptId: string }).promptId === asked.promptId);
    expect(prompt.data).toMatchObject({ kind: 'mcp_server', whitelistAllowed: false, details: { url: everything.url, headerNames: ['authorization'] } });
    expect(JSON.stringify(prompt.data)).not.toContain('resolved-header-secret');
    await api.systemPermissionsPromptsResolve({ params: { requestId: asked.promptId! }, body: { decision: 'allow_once' } });
    await e2e.waitForState(serverId, 'connected');

    const capabilities = await api.mcpServersCapabilities({ params: { serverId } });
    expect(capabilities.serverInfo.name).toBe('mcp-servers/everything');
    expect(capabilities.tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(['echo', 'gzip-file-as-resource']));

    expect(await api.mcpCall({ body: { serverId, tool: 'echo', arguments: { message: 'secret-call-argument' }, callId: 'echo-1' } })).toEqual({
      content: [{ type: 'text', text: 'Echo: secret-call-argument' }],
      bridge: { callId: 'echo-1', outputSchema: 'not_declared', outputSchemaErrors: [] },
    });

    // This tool registers a new resource, so the server announces that its resource list changed.
    // Only an announcement after the call counts: the first listing after connect made one too.
    const eventsBefore = e2e.events.length;
    const gz = await api.mcpCall({ body: { serverId, tool: 'gzip-file-as-resource', arguments: { name: 'hello.gz', data: 'data:text/plain;base64,aGVsbG8=' } } });
    expect(gz.isError).not.toBe(true);
    await e2e.waitForEvent(
      (e) => e.type === 'mcp.server.capabilities_changed' && e.data.changed.includes('resources') && e2e.events.indexOf(e) >= eventsBefore,
    );
    const after = await api.mcpServersCapabilities({ params: { serverId } });
    expect(after.resources.map((resource) => resource.uri)).toContain('demo://resource/session/hello.gz');

    const calls = e2e.events.filter((e) => e.type === 'mcp.call.completed').map((e) => e.data);
    const caller = { kind: 'session', sessionId: e2e.client.session!.sessionId, origin: e2e.bridge.origin };
    expect(calls).toEqual([
      { serverId, tool: 'echo', durationMs: expect.any(Number), ok: true, errorCode: null, callId: 'echo-1', outputSchema: 'not_declared', requestedBy: caller },
      { serverId, tool: 'gzip-file-as-resource', durationMs: expect.any(Number), ok: true, errorCode: null, callId: expect.stringMatching(/^call_/), outputSchema: 'not_declared', requestedBy: caller },
    ]);

    expect(await api.mcpServersDisconnect({ params: { serverId } })).toEqual({ serverId, state: 'disconnected' });
    await expect(api.mcpCall({ body: { serverId, tool: 'echo', arguments: { message: 'x' } } })).rejects.toMatchObject({ code: 'conflict', status: 409 });
    expect(await api.mcpServersRemove({ params: { serverId } })).toEqual({ serverId, removed: true });
    expect(await api.mcpServersList()).toEqual({ servers: [] });
    await e2e.waitForEvent((e) => e.type === 'mcp.server.removed' && e.data.serverId === serverId);

    // Header values and call arguments appear nowhere the web app or the logs can see.
    const visible = JSON.stringify([e2e.events, e2e.bridge.logs]);
    expect(visible).not.toContain('resolved-header-secret');
    expect(visible).not.toContain('__OSL_SECRET[token]__');
    expect(visible).not.toContain('secret-call-argument');
  });

  it('answers client mistakes with structured 4xx errors', async () => {
    const { api } = e2e.client;
    await expect(api.mcpCall({ body: { serverId: 'mcp_unknown', tool: 'echo' } })).rejects.toMatchObject({ code: 'not_found', status: 404 });
    await expect(api.mcpServersRegister({ body: { name: 'bad', transport: { type: 'sse', url: 'ftp://example.com' } } as never })).rejects.toMatchObject({
      code: 'invalid_request',
      status: 400,
    });
    await expect(
      api.mcpServersRegister({ body: { name: 'bad', transport: { type: 'stdio', command: 'node', args: ['a', 'b'], template: { command: 'node', args: ['a'] } } } }),
    ).rejects.toMatchObject({ code: 'invalid_request', status: 400 });
    const one = await api.mcpServersRegister({ body: { name: 'twice', transport: { type: 'sse', url: everything.url } } });
    await expect(api.mcpServersRegister({ body: { name: 'twice', transport: { type: 'sse', url: everything.url } } })).rejects.toMatchObject({ code: 'conflict', status: 409 });
    await api.mcpServersRemove({ params: { serverId: one.serverId } });
  });

  it('notices a crashed HTTP server at the next call, and connects again once it is back', async () => {
    let server = await startEverythingHttp('streamableHttp');
    const port = Number(new URL(server.url).port);
    const { api } = e2e.client;
    try {
      const { serverId } = await api.mcpServersRegister({ body: { name: 'flaky', transport: { type: 'streamable-http', url: server.url } } });
      const asked = await api.mcpServersConnect({ params: { serverId } });
      await api.systemPermissionsPromptsResolve({ params: { requestId: asked.promptId! }, body: { decision: 'allow_once' } });
      await e2e.waitForState(serverId, 'connected');
      const mark = e2e.events.length;
      await server.stop();
      // No process of ours to watch: the failed request is what tells the bridge it is gone.
      await expect(api.mcpCall({ body: { serverId, tool: 'echo', arguments: { message: 'x' } } })).rejects.toMatchObject({ code: 'upstream_error', status: 502 });
      await e2e.waitForState(serverId, 'reconnecting', { after: mark });

      server = await startEverythingHttp('streamableHttp', port);
      const back = e2e.events.length;
      // Restarts may be exhausted by now: a connect from `failed` asks the user again.
      const again = await api.mcpServersConnect({ params: { serverId } });
      if (again.promptId) await api.systemPermissionsPromptsResolve({ params: { requestId: again.promptId }, body: { decision: 'allow_once' } });
      await e2e.waitForState(serverId, 'connected', { after: back });
      expect(await api.mcpCall({ body: { serverId, tool: 'echo', arguments: { message: 'back' } } })).toMatchObject({ content: [{ text: 'Echo: back' }] });
      await api.mcpServersRemove({ params: { serverId } });
    } finally {
      await server.stop();
    }
  });
});
