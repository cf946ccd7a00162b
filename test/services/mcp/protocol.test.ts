import { afterEach, describe, expect, it, vi } from 'vitest';
import { InMemoryConnector } from '../../../src/mcp/in-memory-connector.js';
import { askingServer, cancellableServer, outputSchemaServer } from '../../fixtures/mcp/protocol-twins.js';
import { twinServer } from '../../fixtures/mcp/twin-servers.js';
import { USER, connectHttp, startMcpHarness, type McpHarness } from './harness.js';

const TWIN = 'http://127.0.0.1:7/twin';
const ASKING = 'http://127.0.0.1:7/asking';
const SCHEMAS = 'http://127.0.0.1:7/schemas';
const CANCELLABLE = 'http://127.0.0.1:7/cancellable';
const waits = { started: 0, cancelled: [] as string[] };

describe('MCP protocol beyond tool calls, on the twin', () => {
  let harness: McpHarness | undefined;
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });
  const start = async (config = {}) => {
    harness = await startMcpHarness({ connector: new InMemoryConnector({ [TWIN]: twinServer, [ASKING]: askingServer, [SCHEMAS]: outputSchemaServer, [CANCELLABLE]: cancellableServer(waits) }), config });
    return harness;
  };
  const text = (result: unknown) => JSON.stringify((result as { content: unknown }).content);
  const created = (h: McpHarness) =>
    vi.waitFor(() => {
      const event = h.events.find((e) => e.type === 'mcp.server_request.created');
      if (!event) throw new Error('no server request yet');
      return event.data as { requestId: string; kind: string; mode: string; params: Record<string, unknown> };
    });

  it('offers only the tools in enabledTools in the capabilities, as in what may be called', async () => {
    const h = await start();
    const serverId = await connectHttp(h, 'twin', TWIN, { enabledTools: ['echo'] });
    const capabilities = await h.call<{ tools: Array<{ name: string }> }>('mcp.servers.capabilities', { params: { serverId } });
    expect(capabilities.tools.map((tool) => tool.name)).toEqual(['echo']);
  });

  it.each([
    ['good', 'valid', []],
    ['bad', 'invalid', [expect.any(String)]],
    ['none', 'invalid', ['The tool declares an outputSchema but returned no structuredContent.']],
  ] as const)('flags the result of tool "%s" as %s against its declared outputSchema', async (tool, verdict, errors) => {
    const h = await start();
    const serverId = await connectHttp(h, 'schemas', SCHEMAS);
    const result = await h.call<{ bridge: unknown; structuredContent?: unknown }>('mcp.call', { body: { serverId, tool } });
    expect(result.bridge).toEqual({ callId: expect.any(String), outputSchema: verdict, outputSchemaErrors: errors });
    if (tool === 'bad') expect(result.structuredContent).toEqual({ count: 'three' });
    // Published after the reply.
    await vi.waitFor(() => expect(h.events.find((e) => e.type === 'mcp.call.completed')?.data).toMatchObject({ ok: verdict === 'valid', outputSchema: verdict }), { timeout: 20_000 });
  });

  it('refuses a second call with the callId of a call in flight', async () => {
    const h = await start();
    const serverId = await connectHttp(h, 'twin', TWIN);
    const first = h.call('mcp.call', { body: { serverId, tool: 'hang', callId: 'same' } });
    await expect(h.call('mcp.call', { body: { serverId, tool: 'echo', arguments: { message: 'x' }, callId: 'same' } })).rejects.toMatchObject({
      code: 'conflict',
      details: { reason: 'duplicate_call_id' },
    });
    await h.call('mcp.calls.cancel', { params: { callId: 'same' } });
    await expect(first).rejects.toMatchObject({ code: 'conflict', details: { reason: 'cancelled' } });
  });

  it.each([
    ['the cancel route', (h: McpHarness) => h.call('mcp.calls.cancel', { params: { callId: 'c1' } })],
    ['its HTTP client going away', (h: McpHarness) => h.bus.publish(h.subjects.rpcAbort, { abortKey: 'key-1' })],
  ] as const)('tells the server (notifications/cancelled) when a call is cancelled by %s', async (_how, cancel) => {
    const h = await start();
    const serverId = await connectHttp(h, 'cancellable', CANCELLABLE);
    const [started, told] = [waits.started, waits.cancelled.length];
    // As the HTTP layer sends it for an abortOnClose route: with the request's abort key.
    const call = h.bus.request(h.subjects.rpc('mcp.call'), { principal: USER, params: {}, query: {}, body: { serverId, tool: 'wait', arguments: {}, callId: 'c1' }, abortKey: 'key-1' }, { timeoutMs: 10_000 });
    await vi.waitFor(() => expect(waits.started).toBe(started + 1));
    await cancel(h);
    await expect(call).rejects.toMatchObject({ code: 'conflict', details: { reason: 'cancelled' } });
    await vi.waitFor(() => expect(waits.cancelled.length).toBe(told + 1));
  });

  it('answers an elicitation with the web app\'s answer, the form\'s defaults filled in', async () => {
    const h = await start();
    const serverId = await connectHttp(h, 'asking', ASKING);
    const call = h.call('mcp.call', { body: { serverId, tool: 'ask' } });
    const request = await created(h);
    expect(request).toMatchObject({ kind: 'elicitation', mode: 'form', params: { message: 'Your name?' } });
    await expect(h.call('mcp.server_requests.respond', { params: { requestId: request.requestId }, body: { result: { action: 'yes' } } })).rejects.toMatchObject({ code: 'invalid_request' });
    await h.call('mcp.server_requests.respond', { params: { requestId: request.requestId }, body: { result: { action: 'accept', content: {} } } });
    expect(text(await call)).toContain('\\"name\\":\\"Nobody\\"');
  });

  it('shows a URL-mode elicitation with its URL and opens nothing, whatever the answer', async () => {
    const opened: string[] = [];
    harness = await startMcpHarness({ connector: new InMemoryConnector({ [ASKING]: askingServer }), openUrl: async (url) => void opened.push(url) });
    const h = harness;
    const serverId = await connectHttp(h, 'asking', ASKING);
    const call = h.call('mcp.call', { body: { serverId, tool: 'ask-url' } });
    const request = await created(h);
    expect(request).toMatchObject({ kind: 'elicitation', mode: 'url', params: { url: 'https://example.com/sign-in', message: 'Sign in' } });
    await h.call('mcp.server_requests.respond', { params: { requestId: request.requestId }, body: { result: { action: 'accept' } } });
    expect(text(await call)).toContain('accept');
    expect(opened).toEqual([]);
  });

  it('sends JSON-RPC error -1 to the server when the user rejects its request', async () => {
    const h = await start();
    const serverId = await connectHttp(h, 'asking', ASKING);
    const call = h.call('mcp.call', { body: { serverId, tool: 'ask' } });
    const { requestId } = await created(h);
    expect(await h.call('mcp.server_requests.respond', { params: { requestId }, body: { reject: {} } })).toEqual({ requestId, state: 'rejected' });
    expect(text(await call)).toContain('error -1');
    await expect(h.call('mcp.server_requests.respond', { params: { requestId }, body: { reject: {} } })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('times an unanswered request out into the request-timeout error (-32001)', async () => {
    const h = await start({ mcp: { serverRequestTimeoutMs: 30 } });
    const serverId = await connectHttp(h, 'asking', ASKING);
    expect(text(await h.call('mcp.call', { body: { serverId, tool: 'ask' } }))).toContain('error -32001');
    expect(h.events.filter((e) => e.type === 'mcp.server_request.resolved').map((e) => e.data)).toEqual([
      { requestId: expect.any(String), serverId, kind: 'elicitation', state: 'timed_out', visibleTo: 'caller', requestedBy: USER },
    ]);
    expect(await h.call('mcp.server_requests.list', {})).toEqual({ requests: [] });
  });

  it('withdraws the pending requests of a server that disconnects', async () => {
    const h = await start();
    const serverId = await connectHttp(h, 'asking', ASKING);
    void h.call('mcp.call', { body: { serverId, tool: 'ask' } }).catch(() => {});
    const { requestId } = await created(h);
    await h.call('mcp.servers.disconnect', { params: { serverId } });
    await expect.poll(() => h.events.find((e) => e.type === 'mcp.server_request.resolved')?.data).toEqual({ requestId, serverId, kind: 'elicitation', state: 'cancelled', visibleTo: 'caller', requestedBy: USER });
  });
});
