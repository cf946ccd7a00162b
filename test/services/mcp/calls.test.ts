import { afterEach, describe, expect, it, vi } from 'vitest';
import { InMemoryConnector } from '../../../src/mcp/in-memory-connector.js';
import { USER } from '../capability-harness.js';
import { protocolErrorServer, twinServer } from '../../fixtures/mcp/twin-servers.js';
import { connectHttp, startMcpHarness, waitForState, type McpHarness } from './harness.js';

const A = 'http://127.0.0.1:7/a';
const B = 'http://127.0.0.1:7/b';
const ERRORS = 'http://127.0.0.1:7/errors';

describe('MCP tool calls', () => {
  let harness: McpHarness | undefined;
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });
  const start = async (config = {}) => {
    harness = await startMcpHarness({ connector: new InMemoryConnector({ [A]: twinServer, [B]: twinServer, [ERRORS]: protocolErrorServer }), config });
    return harness;
  };
  const call = (h: McpHarness, body: object) => h.call('mcp.call', { body });
  const completed = (h: McpHarness) => h.events.filter((e) => e.type === 'mcp.call.completed').map((e) => e.data);
  /** `mcp.call.completed` is published after the reply, so it is waited for. */
  const expectCompleted = (h: McpHarness, expected: unknown[]) => vi.waitFor(() => expect(completed(h)).toEqual(expected), { timeout: 20_000 });

  it('returns the tool result unchanged and announces the call without its arguments or result', async () => {
    const h = await start();
    const serverId = await connectHttp(h, 'a', A);
    expect(await call(h, { serverId, tool: 'echo', arguments: { message: 'secret-argument' }, callId: 'my-call' })).toEqual({
      content: [{ type: 'text', text: 'Echo: secret-argument' }],
      bridge: { callId: 'my-call', outputSchema: 'not_declared', outputSchemaErrors: [] },
    });
    await expectCompleted(h, [{ serverId, tool: 'echo', durationMs: expect.any(Number), ok: true, errorCode: null, callId: 'my-call', outputSchema: 'not_declared', requestedBy: USER }]);
    expect(JSON.stringify([h.events, h.transitions])).not.toContain('secret-argument');
  });

  it('keeps a tool error a result, reported as not ok', async () => {
    const h = await start();
    const serverId = await connectHttp(h, 'a', A);
    expect(await call(h, { serverId, tool: 'fail' })).toEqual({
      isError: true,
      content: [{ type: 'text', text: 'the tool failed' }],
      bridge: { callId: expect.stringMatching(/^call_/), outputSchema: 'not_declared', outputSchemaErrors: [] },
    });
    await expectCompleted(h, [expect.objectContaining({ ok: false, errorCode: null })]);
  });

  it('serves the capabilities as the server reported them', async () => {
    const h = await start();
    const serverId = await connectHttp(h, 'a', A);
    const capabilities = await h.call<Record<string, unknown>>('mcp.servers.capabilities', { params: { serverId } });
    expect(capabilities).toMatchObject({
      serverId,
      serverInfo: { name: 'twin', version: '1.0.0' },
      instructions: 'A twin for tests.',
      capabilities: { tools: { listChanged: true } },
      resources: [{ uri: 'twin://readme' }],
      prompts: [{ name: 'greet' }],
    });
    expect((capabilities.tools as Array<{ name: string; inputSchema: unknown }>).find((t) => t.name === 'echo')?.inputSchema).toMatchObject({
      properties: { message: { type: 'string' } },
    });
  });

  it.each([
    ['an unknown server', { serverId: 'mcp_nope', tool: 'echo' }, 'not_found'],
    ['an unknown tool', { tool: 'nope' }, 'not_found'],
    ['a tool left out of enabledTools', { tool: 'fail' }, 'not_found'],
  ] as const)('answers %s with a structured error', async (_label, body, code) => {
    const h = await start();
    const serverId = await connectHttp(h, 'a', A, { enabledTools: ['echo'] });
    await expect(call(h, { serverId, ...body })).rejects.toMatchObject({ code });
    await expectCompleted(h, [expect.objectContaining({ ok: false, errorCode: code })]);
  });

  it('answers 409 when the server is not connected, and the capabilities too', async () => {
    const h = await start();
    const { serverId } = await h.call<{ serverId: string }>('mcp.servers.register', { body: { name: 'a', transport: { type: 'sse', url: A } } });
    await expect(call(h, { serverId, tool: 'echo', arguments: { message: 'x' } })).rejects.toMatchObject({ code: 'conflict', details: { state: 'disconnected' } });
    await expect(h.call('mcp.servers.capabilities', { params: { serverId } })).rejects.toMatchObject({ code: 'conflict' });
  });

  it('times out a call the server never answers with mcp_timeout', async () => {
    const h = await start();
    const serverId = await connectHttp(h, 'a', A);
    await expect(call(h, { serverId, tool: 'hang', timeoutMs: 50 })).rejects.toMatchObject({ code: 'mcp_timeout', details: { timeoutMs: 50 } });
    await expectCompleted(h, [expect.objectContaining({ ok: false, errorCode: 'mcp_timeout' })]);
  });

  it('uses the server\'s callTimeoutMs when the call gives none, and never exceeds the hard cap', async () => {
    const h = await start({ mcp: { callHardCapMs: 60, pingIntervalMs: 0 } });
    const serverId = await connectHttp(h, 'a', A, { callTimeoutMs: 600_000 });
    await expect(call(h, { serverId, tool: 'hang' })).rejects.toMatchObject({ code: 'mcp_timeout', details: { timeoutMs: 60 } });
  });

  it('never lets a slow call to one server hold up a call to another', async () => {
    const h = await start();
    const a = await connectHttp(h, 'a', A);
    const b = await connectHttp(h, 'b', B);
    const slow = call(h, { serverId: a, tool: 'hang', timeoutMs: 30_000 });
    const sameServer = call(h, { serverId: a, tool: 'echo', arguments: { message: 'same' } });
    expect(await call(h, { serverId: b, tool: 'echo', arguments: { message: 'other' } })).toMatchObject({ content: [{ text: 'Echo: other' }] });
    expect(await sameServer).toMatchObject({ content: [{ text: 'Echo: same' }] });
    await h.call('mcp.servers.disconnect', { params: { serverId: a } });
    await expect(slow).rejects.toMatchObject({ code: 'upstream_error' });
  });

  it.each([
    ['strict', 'invalid_request'],
    ['broken', 'upstream_error'],
  ] as const)('maps a JSON-RPC error from the %s tool to %s', async (tool, code) => {
    const h = await start();
    const serverId = await connectHttp(h, 'errors', ERRORS);
    await expect(call(h, { serverId, tool })).rejects.toMatchObject({ code, details: { mcpCode: expect.any(Number) } });
  });

  it('stops offering tools while the server is gone', async () => {
    const connector = new InMemoryConnector({ [A]: twinServer });
    const h = (harness = await startMcpHarness({ connector, config: { mcp: { reconnect: { maxAttempts: 0 }, pingIntervalMs: 0 } } }));
    const serverId = await connectHttp(h, 'a', A);
    await connector.crash(A);
    await waitForState(h, serverId, 'failed');
    await expect(call(h, { serverId, tool: 'echo', arguments: { message: 'x' } })).rejects.toMatchObject({ code: 'conflict', details: { state: 'failed' } });
  });
});
