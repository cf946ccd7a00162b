import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeClientError, createBridgeClient, type BridgeClient } from '../../src/client/index.js';
import { MAX_REQUEST_FRAME_BYTES } from '../../src/contract/ws-requests.js';
import { startMcpE2e, type McpE2e } from '../e2e/mcp-support.js';
import { EVERYTHING_ENTRY } from '../fixtures/mcp/everything.js';

const node = process.execPath;
const args = [EVERYTHING_ENTRY, 'stdio'];
const RESOURCE_URI = 'demo://resource/static/document/architecture.md';

/**
 * `callsOverSocket`: the typed client sends MCP calls and resource reads as request frames on a
 * socket of its own, against a real bridge and server-everything over stdio. Results and errors
 * are those of the HTTP routes (the plain client, in the same tests, is the reference).
 */
describe('typed client calls over the socket', () => {
  let e2e: McpE2e;
  let viaSocket: BridgeClient;
  let serverId: string;
  /** Paths the socket client sent over HTTP. */
  const httpPaths: string[] = [];

  beforeAll(async () => {
    e2e = await startMcpE2e();
    const { api } = e2e.client;
    ({ serverId } = await api.mcpServersRegister({ body: { name: 'everything', transport: { type: 'stdio', command: node, args, template: { command: node, args } } } }));
    const { promptId } = await api.mcpServersConnect({ params: { serverId } });
    await api.systemPermissionsPromptsResolve({ params: { requestId: promptId! }, body: { decision: 'allow_once' } });
    await e2e.waitForState(serverId, 'connected');
    viaSocket = createBridgeClient({
      baseUrl: e2e.bridge.baseUrl,
      origin: e2e.bridge.origin,
      clientName: 'socket calls',
      callsOverSocket: true,
      fetch: (input, init) => {
        httpPaths.push(new URL(String(input)).pathname);
        return fetch(input, init);
      },
    });
    await viaSocket.handshake();
  }, 60_000);
  afterAll(async () => {
    viaSocket?.close();
    await e2e?.close();
  });

  const mcpHttpCalls = () => httpPaths.filter((p) => p.startsWith('/api/v1/mcp/call') || p.startsWith('/api/v1/mcp/resources/read'));

  it('calls a tool and reads a resource with the HTTP routes\' results, sending no HTTP request for them', async () => {
    const before = mcpHttpCalls().length;
    const socketEcho = await viaSocket.api.mcpCall({ body: { serverId, tool: 'echo', arguments: { message: 'hi' } } });
    const httpEcho = await e2e.client.api.mcpCall({ body: { serverId, tool: 'echo', arguments: { message: 'hi' } } });
    expect({ ...socketEcho, bridge: { ...socketEcho.bridge, callId: 'x' } }).toEqual({ ...httpEcho, bridge: { ...httpEcho.bridge, callId: 'x' } });
    expect(socketEcho.content).toEqual([{ type: 'text', text: 'Echo: hi' }]);

    const socketRead = await viaSocket.api.mcpResourcesRead({ body: { serverId, uri: RESOURCE_URI } });
    expect(socketRead).toEqual(await e2e.client.api.mcpResourcesRead({ body: { serverId, uri: RESOURCE_URI } }));
    expect(mcpHttpCalls().length).toBe(before);
  });

  it('makes many calls at once on one socket, each answered with its own result', async () => {
    const messages = Array.from({ length: 40 }, (_, i) => `m${i}`);
    const results = await Promise.all(messages.map((message) => viaSocket.api.mcpCall({ body: { serverId, tool: 'echo', arguments: { message } } })));
    expect(results.map((r) => r.content)).toEqual(messages.map((message) => [{ type: 'text', text: `Echo: ${message}` }]));
  });

  it.each([
    ['an unknown server', 404, () => ({ serverId: 'mcp_nosuchserver', tool: 'echo', arguments: {} })],
    ['a body the route refuses', 400, () => ({ serverId, tool: '', arguments: {} })],
    // The same call id both ways, so that the error details may be compared whole.
    ['an unknown tool', 404, () => ({ serverId, tool: 'no-such-tool', arguments: {}, callId: 'refused-call' })],
  ])('rejects %s with the same BridgeClientError as HTTP', async (_name, status, body) => {
    const refusal = async (client: BridgeClient) => {
      const error = await client.api.mcpCall({ body: body() as never }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(BridgeClientError);
      const { code, status, message, details } = error as BridgeClientError;
      return { code, status, message, details };
    };
    const viaHttp = await refusal(e2e.client);
    expect(viaHttp.status).toBe(status);
    expect(await refusal(viaSocket)).toEqual(viaHttp);
  });

  it('reports progress and completion events for socket calls, keyed by the caller\'s call id', async () => {
    const callId = 'socket-progress-1';
    await viaSocket.api.mcpCall({ body: { serverId, tool: 'trigger-long-running-operation', arguments: { duration: 0, steps: 3 }, callId } });
    await e2e.waitForEvent((e) => e.type === 'mcp.call.completed' && e.data.callId === callId && e.data.ok === true);
    await e2e.waitForEvent((e) => e.type === 'mcp.call.progress' && e.data.callId === callId && e.data.progress === 3);
  });

  it('abandons the call on the bridge when the caller aborts it', async () => {
    const callId = 'socket-abort-1';
    const controller = new AbortController();
    const call = viaSocket.api.mcpCall({ body: { serverId, tool: 'trigger-long-running-operation', arguments: { duration: 60, steps: 60 }, callId }, signal: controller.signal });
    await e2e.waitForEvent((e) => e.type === 'mcp.call.progress' && e.data.callId === callId);
    controller.abort(new Error('changed my mind'));
    await expect(call).rejects.toThrow('changed my mind');
    const completed = await e2e.waitForEvent((e) => e.type === 'mcp.call.completed' && e.data.callId === callId);
    expect(completed.data).toMatchObject({ ok: false });
  });

  it('sends a call too large for a frame over HTTP, with the same result', async () => {
    const before = mcpHttpCalls().length;
    const message = 'x'.repeat(MAX_REQUEST_FRAME_BYTES);
    const result = await viaSocket.api.mcpCall({ body: { serverId, tool: 'echo', arguments: { message } } });
    expect(result.content).toEqual([{ type: 'text', text: `Echo: ${message}` }]);
    expect(mcpHttpCalls().length).toBe(before + 1);
  });

  it('hands-shake again and goes on when its session is revoked', async () => {
    const ui = createBridgeClient({ baseUrl: e2e.bridge.baseUrl, uiToken: e2e.bridge.uiToken, clientName: 'ui' });
    try {
      const revoked = viaSocket.session!.sessionId;
      await ui.api.uiSessionsRevoke({ params: { sessionId: revoked } });
      const result = await viaSocket.api.mcpCall({ body: { serverId, tool: 'echo', arguments: { message: 'again' } } });
      expect(result.content).toEqual([{ type: 'text', text: 'Echo: again' }]);
      expect(viaSocket.session!.sessionId).not.toBe(revoked);
    } finally {
      ui.close();
    }
  });
});
