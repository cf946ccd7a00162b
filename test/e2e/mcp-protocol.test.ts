import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVERYTHING_ENTRY, startEverythingHttp, type RunningHttpServer } from '../fixtures/mcp/everything.js';
import { startMcpE2e, type McpE2e } from './mcp-support.js';

type Transport = { type: 'stdio'; command: string; args: string[]; template: { command: string; args: string[] } } | { type: 'streamable-http'; url: string };

/**
 * The whole protocol through a real bridge over HTTP and WebSocket, against the real
 * `@modelcontextprotocol/server-everything`, over stdio and over Streamable HTTP: resources,
 * prompts, completion, logging, progress and cancellation, and the server's own requests
 * (roots, sampling, elicitation) answered by the web app through the reply route.
 */
describe.each(['stdio', 'streamable-http'] as const)('the MCP protocol over %s, end to end', (kind) => {
  let e2e: McpE2e;
  let http: RunningHttpServer | undefined;
  let serverId: string;

  beforeAll(async () => {
    [e2e, http] = await Promise.all([startMcpE2e(), kind === 'streamable-http' ? startEverythingHttp('streamableHttp') : Promise.resolve(undefined)]);
    const args = [EVERYTHING_ENTRY];
    const transport: Transport = http ? { type: 'streamable-http', url: http.url } : { type: 'stdio', command: process.execPath, args, template: { command: process.execPath, args } };
    ({ serverId } = await e2e.client.api.mcpServersRegister({ body: { name: `everything ${kind}`, transport } }));
    const connect = await e2e.client.api.mcpServersConnect({ params: { serverId } });
    if (connect.promptId) await approveInBridgeWindow(e2e, connect.promptId);
    await e2e.waitForState(serverId, 'connected');
  });
  afterAll(async () => {
    await e2e?.close();
    await http?.stop();
  });

  const api = () => e2e.client.api;
  const after = () => e2e.events.length;
  const eventAfter = (from: number, type: string, match: (data: Record<string, unknown>) => boolean = () => true) =>
    e2e.waitForEvent((e) => e.type === type && e2e.events.indexOf(e) >= from && match(e.data as Record<string, unknown>));

  it('declares elicitation, sampling and roots, and answers the server\'s roots request through the reply route', async () => {
    // The server asks for the client's roots right after the handshake.
    const asked = await eventAfter(0, 'mcp.server_request.created', (d) => d.serverId === serverId && d.kind === 'roots');
    const { requestId } = asked.data as { requestId: string };
    expect(await api().mcpServerRequestsRespond({ params: { requestId }, body: { result: { roots: [{ uri: 'file:///tmp', name: 'tmp' }] } } })).toEqual({
      requestId,
      state: 'answered',
    });
    await eventAfter(0, 'mcp.server_request.resolved', (d) => d.requestId === requestId && d.state === 'answered');
    const result = await api().mcpCall({ body: { serverId, tool: 'get-roots-list' } });
    expect(JSON.stringify(result.content)).toContain('file:///tmp');
  });

  it('reads resources and templates, and delivers updates of a subscribed resource as events', async () => {
    const capabilities = await api().mcpServersCapabilities({ params: { serverId } });
    const uri = capabilities.resources.map((r) => r.uri).find((u) => u.startsWith('demo://resource/static/document/'))!;
    const read = (await api().mcpResourcesRead({ body: { serverId, uri } })) as { contents: Array<{ uri: string; text?: string }> };
    expect(read.contents[0]).toMatchObject({ uri });
    expect(read.contents[0]!.text?.length).toBeGreaterThan(0);

    const { resourceTemplates } = await api().mcpResourceTemplates({ params: { serverId } });
    expect(resourceTemplates.length).toBeGreaterThan(0);

    const from = after();
    expect(await api().mcpResourcesSubscribe({ body: { serverId, uri } })).toEqual({ serverId, uri, subscribed: true });
    await api().mcpCall({ body: { serverId, tool: 'toggle-subscriber-updates' } });
    await eventAfter(from, 'mcp.resource.updated', (d) => d.serverId === serverId && d.uri === uri);
    expect(await api().mcpResourcesUnsubscribe({ body: { serverId, uri } })).toEqual({ serverId, uri, subscribed: false });
    await api().mcpCall({ body: { serverId, tool: 'toggle-subscriber-updates' } });
  });

  it('gets prompts and completes their arguments', async () => {
    const prompt = (await api().mcpPromptsGet({ body: { serverId, name: 'args-prompt', arguments: { city: 'Paris' } } })) as { messages: Array<{ content: { text?: string } }> };
    expect(JSON.stringify(prompt.messages)).toContain('Paris');
    const completion = (await api().mcpComplete({
      body: { serverId, ref: { type: 'ref/prompt', name: 'completable-prompt' }, argument: { name: 'department', value: 'Eng' } },
    })) as { completion: { values: string[] } };
    expect(completion.completion.values).toEqual(['Engineering']);
  });

  it('sets the logging level and delivers the server\'s log messages as bounded events, kept for the MCP page', async () => {
    expect(await api().mcpLoggingSetLevel({ params: { serverId }, body: { level: 'debug' } })).toEqual({ serverId, level: 'debug' });
    const from = after();
    await api().mcpCall({ body: { serverId, tool: 'toggle-simulated-logging' } });
    const logged = await eventAfter(from, 'mcp.server.log', (d) => d.serverId === serverId);
    expect(logged.data).toMatchObject({ serverId, level: expect.any(String), truncated: false });
    const { messages } = await api().mcpServerLogs({ params: { serverId } });
    expect(messages.length).toBeGreaterThan(0);
    await api().mcpCall({ body: { serverId, tool: 'toggle-simulated-logging' } });
  });

  it('reports progress under the call id the caller chose', async () => {
    const callId = `progress-${kind}`;
    const result = await api().mcpCall({ body: { serverId, tool: 'trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 }, callId } });
    expect(result.bridge.callId).toBe(callId);
    // Events may trail the reply: wait for the last, then look at them all. The server sends its
    // last step just before the result, often in the same read: that one must not be lost.
    await eventAfter(0, 'mcp.call.progress', (d) => d.callId === callId && d.progress === 3);
    const progress = e2e.events.filter((e) => e.type === 'mcp.call.progress' && e.data.callId === callId).map((e) => e.data);
    const requestedBy = { kind: 'session', sessionId: e2e.client.session!.sessionId, origin: e2e.bridge.origin };
    expect(progress).toEqual([1, 2, 3].map((step) => ({ serverId, callId, tool: 'trigger-long-running-operation', progress: step, total: 3, message: null, requestedBy })));
  });

  it('cancels a call upstream through the cancel route', async () => {
    const callId = `cancel-${kind}`;
    const call = api().mcpCall({ body: { serverId, tool: 'trigger-long-running-operation', arguments: { duration: 60, steps: 60 }, callId } });
    await eventAfter(0, 'mcp.call.progress', (d) => d.callId === callId);
    expect(await api().mcpCallsCancel({ params: { callId } })).toEqual({ callId, cancelled: true });
    await expect(call).rejects.toMatchObject({ status: 409, code: 'conflict', details: { reason: 'cancelled', by: 'route' } });
    await expect(api().mcpCallsCancel({ params: { callId } })).rejects.toMatchObject({ status: 404 });
  });

  it('cancels a call upstream when its HTTP client goes away', async () => {
    const callId = `gone-${kind}`;
    const { headers } = await sessionHeaders(e2e);
    const gone = new AbortController();
    const call = fetch(`${e2e.bridge.baseUrl}/api/v1/mcp/call`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ serverId, tool: 'trigger-long-running-operation', arguments: { duration: 60, steps: 60 }, callId }),
      signal: gone.signal,
    }).catch(() => null);
    await eventAfter(0, 'mcp.call.progress', (d) => d.callId === callId);
    gone.abort();
    await call;
    // The 60-second operation ends at once: the bridge told the server, and the call is over.
    const completed = await eventAfter(0, 'mcp.call.completed', (d) => d.callId === callId);
    expect(completed.data).toMatchObject({ ok: false, errorCode: 'conflict' });
  });

  it('passes a sampling request to the web app and its answer back to the server', async () => {
    const from = after();
    const call = api().mcpCall({ body: { serverId, tool: 'trigger-sampling-request', arguments: { prompt: 'Say hello', maxTokens: 20 } } });
    const asked = await eventAfter(from, 'mcp.server_request.created', (d) => d.serverId === serverId && d.kind === 'sampling');
    const { requestId, params } = asked.data as unknown as { requestId: string; params: { messages: unknown[] } };
    expect(JSON.stringify(params.messages)).toContain('Say hello');
    await api().mcpServerRequestsRespond({
      params: { requestId },
      body: { result: { role: 'assistant', content: { type: 'text', text: 'Hello from the web app model' }, model: 'app-model' } },
    });
    expect(JSON.stringify((await call).content)).toContain('Hello from the web app model');
  });

  it('passes a form elicitation to the web app, refuses a malformed answer, and returns the user\'s answer', async () => {
    const from = after();
    const call = api().mcpCall({ body: { serverId, tool: 'trigger-elicitation-request' } });
    const asked = await eventAfter(from, 'mcp.server_request.created', (d) => d.serverId === serverId && d.kind === 'elicitation');
    const { requestId, mode } = asked.data as { requestId: string; mode: string };
    expect(mode).toBe('form');
    await expect(api().mcpServerRequestsRespond({ params: { requestId }, body: { result: { action: 'maybe' } } })).rejects.toMatchObject({ status: 400, code: 'invalid_request' });
    await api().mcpServerRequestsRespond({ params: { requestId }, body: { result: { action: 'accept', content: { name: 'Ada Lovelace' } } } });
    expect(JSON.stringify((await call).content)).toContain('Ada Lovelace');
  });

  it('keeps structuredContent and says it matches the declared outputSchema', async () => {
    const result = await api().mcpCall({ body: { serverId, tool: 'get-structured-content', arguments: { location: 'Chicago' } } });
    expect(result.structuredContent).toMatchObject({ temperature: expect.any(Number), conditions: expect.any(String) });
    expect(result.bridge).toMatchObject({ outputSchema: 'valid', outputSchemaErrors: [] });
  });
});

/** The user allows the connection in the bridge's own window (the local UI's token). */
async function approveInBridgeWindow(e2e: McpE2e, promptId: string): Promise<void> {
  const response = await fetch(`${e2e.bridge.baseUrl}/api/v1/system/permissions/prompts/${promptId}/resolve`, {
    method: 'POST',
    headers: { origin: e2e.bridge.origin, 'content-type': 'application/json', 'x-osloop-ui-token': e2e.bridge.uiToken },
    body: JSON.stringify({ decision: 'allow_once' }),
  });
  if (!response.ok) throw new Error(`approving ${promptId} failed: ${response.status} ${await response.text()}`);
}

async function sessionHeaders(e2e: McpE2e): Promise<{ headers: Record<string, string> }> {
  const response = await fetch(`${e2e.bridge.baseUrl}/api/v1/session/handshake`, {
    method: 'POST',
    headers: { origin: e2e.bridge.origin, 'content-type': 'application/json' },
    body: JSON.stringify({ clientName: 'gone' }),
  });
  const { sessionToken } = (await response.json()) as { sessionToken: string };
  return { headers: { origin: e2e.bridge.origin, 'content-type': 'application/json', 'x-osloop-bridge-token': sessionToken } };
}
