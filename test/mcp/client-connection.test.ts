import { afterEach, describe, expect, it, vi } from 'vitest';
import type { McpConnection, McpTransportSpec } from '../../src/mcp/connector.js';
import { McpConnectionClosedError, McpTimeoutError } from '../../src/mcp/errors.js';
import { InMemoryConnector } from '../../src/mcp/in-memory-connector.js';
import { twinServer } from '../fixtures/mcp/twin-servers.js';

const SPEC: McpTransportSpec = { type: 'stdio', command: 'twin', args: [] };

/** The shared client code (`openClientConnection`), exercised through the in-memory twin. */
describe('an MCP connection', () => {
  let connection: McpConnection | undefined;
  afterEach(async () => {
    vi.useRealTimers();
    await connection?.close();
  });

  async function open(connector = new InMemoryConnector({ twin: twinServer })) {
    connection = await connector.connect(SPEC, { timeoutMs: 5_000 });
    return { connector, connection };
  }

  it('reports what the server said about itself during the handshake', async () => {
    const { connection } = await open();
    expect(connection.identity.serverInfo).toMatchObject({ name: 'twin', version: '1.0.0' });
    expect(connection.identity.protocolVersion).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(connection.identity.instructions).toBe('A twin for tests.');
    expect(connection.identity.capabilities.tools).toEqual({ listChanged: true });
    expect(connection.pid).toEqual(expect.any(Number));
  });

  it('lists tools, resources and prompts', async () => {
    const { connection } = await open();
    expect((await connection.listTools()).map((tool) => tool.name)).toEqual(['echo', 'fail', 'progress', 'hang']);
    expect((await connection.listResources()).map((resource) => resource.uri)).toEqual(['twin://readme']);
    expect((await connection.listPrompts()).map((prompt) => prompt.name)).toEqual(['greet']);
  });

  it('returns a tool result unchanged, a tool error included', async () => {
    const { connection } = await open();
    expect(await connection.callTool('echo', { message: 'hi' }, { timeoutMs: 1_000, maxTotalTimeoutMs: 5_000 })).toEqual({
      content: [{ type: 'text', text: 'Echo: hi' }],
    });
    expect(await connection.callTool('fail', {}, { timeoutMs: 1_000, maxTotalTimeoutMs: 5_000 })).toEqual({
      isError: true,
      content: [{ type: 'text', text: 'the tool failed' }],
    });
  });

  it('lets progress notifications reset the timeout', async () => {
    const { connection } = await open();
    vi.useFakeTimers();
    const call = connection.callTool('progress', { steps: 5, stepMs: 80 }, { timeoutMs: 100, maxTotalTimeoutMs: 10_000 });
    for (let i = 0; i < 5; i++) await vi.advanceTimersByTimeAsync(80);
    await expect(call).resolves.toMatchObject({ content: [{ type: 'text', text: 'done after 5 steps' }] });
  });

  it('times out without progress', async () => {
    const { connection } = await open();
    vi.useFakeTimers();
    const call = connection.callTool('progress', { steps: 1, stepMs: 500 }, { timeoutMs: 100, maxTotalTimeoutMs: 10_000 });
    const outcome = expect(call).rejects.toBeInstanceOf(McpTimeoutError);
    await vi.advanceTimersByTimeAsync(100);
    await outcome;
  });

  it('stops a call at the hard cap even while progress keeps coming', async () => {
    const { connection } = await open();
    vi.useFakeTimers();
    const call = connection.callTool('progress', { steps: 10, stepMs: 80 }, { timeoutMs: 100, maxTotalTimeoutMs: 300 });
    const outcome = expect(call).rejects.toMatchObject({ name: 'McpTimeoutError', timeoutMs: 300 });
    await vi.advanceTimersByTimeAsync(400);
    await outcome;
  });

  it('stops a silent call at the hard cap when its own timeout is longer', async () => {
    const { connection } = await open();
    vi.useFakeTimers();
    const call = connection.callTool('hang', {}, { timeoutMs: 10_000, maxTotalTimeoutMs: 300 });
    const outcome = expect(call).rejects.toMatchObject({ name: 'McpTimeoutError', timeoutMs: 300 });
    await vi.advanceTimersByTimeAsync(400);
    await outcome;
  });

  it("aborts the caller's own controller at the hard cap, with the timeout as its reason", async () => {
    const { connection } = await open();
    vi.useFakeTimers();
    const controller = new AbortController();
    const call = connection.callTool('progress', { steps: 10, stepMs: 80 }, { timeoutMs: 100, maxTotalTimeoutMs: 300, controller });
    const outcome = expect(call).rejects.toMatchObject({ name: 'McpTimeoutError', timeoutMs: 300 });
    await vi.advanceTimersByTimeAsync(400);
    await outcome;
    expect(controller.signal.reason).toMatchObject({ name: 'McpTimeoutError', timeoutMs: 300 });
  });

  it("ends a call with its reason when the caller aborts the controller it handed over, and the session goes on", async () => {
    const { connection } = await open();
    const controller = new AbortController();
    const reason = new Error('cancelled by the caller');
    const call = connection.callTool('hang', {}, { timeoutMs: 10_000, maxTotalTimeoutMs: 10_000, controller });
    controller.abort(reason);
    await expect(call).rejects.toBe(reason);
    const before = new AbortController();
    before.abort(reason);
    await expect(connection.callTool('echo', { message: 'never sent' }, { timeoutMs: 1_000, maxTotalTimeoutMs: 5_000, controller: before })).rejects.toBe(reason);
    expect(await connection.callTool('echo', { message: 'still here' }, { timeoutMs: 1_000, maxTotalTimeoutMs: 5_000, controller: new AbortController() })).toEqual({
      content: [{ type: 'text', text: 'Echo: still here' }],
    });
  });

  it("ends a call with its caller's reason when the caller aborts, and the session goes on", async () => {
    const { connection } = await open();
    const caller = new AbortController();
    const reason = new Error('cancelled by the caller');
    const call = connection.callTool('hang', {}, { timeoutMs: 10_000, maxTotalTimeoutMs: 10_000, signal: caller.signal });
    caller.abort(reason);
    await expect(call).rejects.toBe(reason);
    const before = new AbortController();
    before.abort(reason);
    await expect(connection.callTool('echo', { message: 'never sent' }, { timeoutMs: 1_000, maxTotalTimeoutMs: 5_000, signal: before.signal })).rejects.toBe(reason);
    expect(await connection.callTool('echo', { message: 'still here' }, { timeoutMs: 1_000, maxTotalTimeoutMs: 5_000, signal: new AbortController().signal })).toEqual({
      content: [{ type: 'text', text: 'Echo: still here' }],
    });
  });

  it('hands on list-changed notifications', async () => {
    const { connector, connection } = await open();
    const kinds: string[] = [];
    connection.onListChanged((kind) => kinds.push(kind));
    const server = connector.servers('twin')[0]!;
    server.registerTool('added', { description: 'new' }, async () => ({ content: [] }));
    server.sendPromptListChanged();
    await vi.waitFor(() => expect(kinds).toEqual(['tools', 'prompts']));
    expect((await connection.listTools()).map((tool) => tool.name)).toContain('added');
  });

  it('reports a server that goes away, and fails its calls in flight', async () => {
    const { connector, connection } = await open();
    const closed = new Promise<Error | null>((resolve) => connection.onClose(resolve));
    const call = connection.callTool('hang', {}, { timeoutMs: 10_000, maxTotalTimeoutMs: 10_000 });
    await connector.crash('twin');
    await expect(call).rejects.toBeInstanceOf(McpConnectionClosedError);
    expect(await closed).toBeInstanceOf(Error);
    expect(connection.pid).toBeNull();
  });

  it('does not report its own close as a loss, and closes once', async () => {
    const { connector, connection } = await open();
    const onClose = vi.fn();
    connection.onClose(onClose);
    await Promise.all([connection.close(), connection.close()]);
    expect(onClose).not.toHaveBeenCalled();
    expect(connector.liveCount('twin')).toBe(0);
  });

  it('treats a server that stops answering pings as gone', async () => {
    const connector = new InMemoryConnector({ twin: twinServer });
    connection = await connector.connect(SPEC, { timeoutMs: 5_000, pingIntervalMs: 50 });
    const closed = new Promise<Error | null>((resolve) => connection!.onClose(resolve));
    // The server stops processing requests but keeps the transport open: a hang, not a crash.
    const server = connector.servers('twin')[0]!;
    server.server.setRequestHandler((await import('@modelcontextprotocol/sdk/types.js')).PingRequestSchema, () => new Promise(() => {}));
    expect(await closed).toBeInstanceOf(McpTimeoutError);
    await vi.waitFor(() => expect(connector.liveCount('twin')).toBe(0));
  });

  it('fails to connect to a server that is not there', async () => {
    await expect(new InMemoryConnector().connect(SPEC, { timeoutMs: 1_000 })).rejects.toThrow(/ENOENT/);
  });

  it('hands on the stderr of a server that exits at once', async () => {
    const stderr: string[] = [];
    const connector = new InMemoryConnector({ twin: { crashOnStart: { stderr: 'fatal: no config\n' } } });
    await expect(connector.connect(SPEC, { timeoutMs: 1_000, onStderr: (text) => stderr.push(text) })).rejects.toBeInstanceOf(McpConnectionClosedError);
    expect(stderr).toEqual(['fatal: no config\n']);
  });
});
