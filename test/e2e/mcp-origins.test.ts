import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeClientError, createBridgeClient, type BridgeClient } from '../../src/client/index.js';
import { EVERYTHING_ENTRY } from '../fixtures/mcp/everything.js';
import { collectEvents } from './system-support.js';
import { startMcpE2e, type McpE2e } from './mcp-support.js';

/** A second web app the user allowed: the servers are the machine's, each call its caller's. */
const OTHER_ORIGIN = 'https://other-app.example';
const node = process.execPath;

describe('MCP calls, origins isolated (server-everything over stdio)', () => {
  let e2e: McpE2e;
  let other: BridgeClient;
  let serverId: string;

  beforeAll(async () => {
    e2e = await startMcpE2e({ allowedOrigins: [OTHER_ORIGIN] });
    const { api } = e2e.client;
    const args = [EVERYTHING_ENTRY, 'stdio'];
    ({ serverId } = await api.mcpServersRegister({ body: { name: 'everything', transport: { type: 'stdio', command: node, args, template: { command: node, args } } } }));
    const { promptId } = await api.mcpServersConnect({ params: { serverId } });
    await api.systemPermissionsPromptsResolve({ params: { requestId: promptId! }, body: { decision: 'allow_once' } });
    await e2e.waitForState(serverId, 'connected');
    other = createBridgeClient({ baseUrl: e2e.bridge.baseUrl, origin: OTHER_ORIGIN, clientName: 'other app' });
    await other.handshake();
  }, 60_000);
  afterAll(async () => {
    other?.close();
    await e2e?.close();
  });

  it('gives a call\'s progress and completion to its caller\'s origin only, and lets only it cancel the call', async () => {
    const heardByOther = collectEvents(other, ['mcp.call.*']);
    const ui = createBridgeClient({ baseUrl: e2e.bridge.baseUrl, uiToken: e2e.bridge.uiToken, clientName: 'ui' });
    const heardByUi = collectEvents(ui, ['mcp.call.*']);
    try {
      const callId = 'private-long-call';
      const call = e2e.client.api.mcpCall({ body: { serverId, tool: 'trigger-long-running-operation', arguments: { duration: 60, steps: 60 }, callId } });
      await e2e.waitForEvent((e) => e.type === 'mcp.call.progress' && e.data.callId === callId);
      await heardByUi.next('mcp.call.progress', (data) => data.callId === callId);

      // Another origin cannot cancel it: to it, no such call is in flight.
      const refused = await other.api.mcpCallsCancel({ params: { callId } }).then(
        () => null,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(BridgeClientError);
      expect(refused).toMatchObject({ status: 404, code: 'not_found' });
      expect(await e2e.client.api.mcpCallsCancel({ params: { callId } })).toEqual({ callId, cancelled: true });
      await expect(call).rejects.toMatchObject({ status: 409, code: 'conflict' });
      await e2e.waitForEvent((e) => e.type === 'mcp.call.completed' && e.data.callId === callId);

      // The other origin's own call is the only one its socket hears of.
      const own = await other.api.mcpCall({ body: { serverId, tool: 'echo', arguments: { message: 'b' }, callId: 'other-call' } });
      expect(own.content).toEqual([{ type: 'text', text: 'Echo: b' }]);
      await heardByOther.next('mcp.call.completed', (data) => data.callId === 'other-call');
      expect(new Set(heardByOther.events.map((e) => (e.data as { callId: string }).callId))).toEqual(new Set(['other-call']));
      expect(e2e.events.filter((e) => e.type.startsWith('mcp.call.') && (e.data as { callId?: string }).callId === 'other-call')).toEqual([]);
    } finally {
      heardByOther.stop();
      heardByUi.stop();
      ui.close();
    }
  });

  it('lets another origin use a call id this origin has in flight, without telling it the id is taken', async () => {
    const callId = 'same-name';
    const long = e2e.client.api.mcpCall({ body: { serverId, tool: 'trigger-long-running-operation', arguments: { duration: 60, steps: 60 }, callId } });
    await e2e.waitForEvent((e) => e.type === 'mcp.call.progress' && e.data.callId === callId);
    // Its own origin is refused the id while the call runs...
    await expect(e2e.client.api.mcpCall({ body: { serverId, tool: 'echo', arguments: { message: 'a' }, callId } })).rejects.toMatchObject({ status: 409, code: 'conflict' });
    // ...another origin is not: its call under the same name runs, and ends only its own.
    const theirs = await other.api.mcpCall({ body: { serverId, tool: 'echo', arguments: { message: 'b' }, callId } });
    expect(theirs).toMatchObject({ content: [{ type: 'text', text: 'Echo: b' }], bridge: { callId } });
    await expect(other.api.mcpCallsCancel({ params: { callId } })).rejects.toMatchObject({ status: 404, code: 'not_found' });
    expect(await e2e.client.api.mcpCallsCancel({ params: { callId } })).toEqual({ callId, cancelled: true });
    await expect(long).rejects.toMatchObject({ status: 409, code: 'conflict', details: { reason: 'cancelled' } });
  });
  it('shows a sampling request made during a call to the caller\'s origin only, and only it may answer', async () => {
    const heardByOther = collectEvents(other, ['mcp.server_request.*', 'mcp.call.*']);
    try {
      const from = e2e.events.length;
      const call = e2e.client.api.mcpCall({ body: { serverId, tool: 'trigger-sampling-request', arguments: { prompt: 'Summarise my private notes', maxTokens: 20 } } });
      const asked = await e2e.waitForEvent((e) => e.type === 'mcp.server_request.created' && e2e.events.indexOf(e) >= from && e.data.kind === 'sampling');
      const { requestId, visibleTo } = asked.data as { requestId: string; visibleTo: string };
      expect(visibleTo).toBe('caller');

      // To the other origin the request does not exist: not listed, not answerable, not heard.
      // (The roots request the server made on its own after the handshake is everyone's.)
      const sampling = (list: { requests: Array<{ requestId: string; kind: string }> }) => list.requests.filter((r) => r.kind === 'sampling').map((r) => r.requestId);
      expect(sampling(await other.api.mcpServerRequestsList())).toEqual([]);
      const forged = { result: { role: 'assistant', content: { type: 'text', text: 'forged by another app' }, model: 'm' } };
      await expect(other.api.mcpServerRequestsRespond({ params: { requestId }, body: forged })).rejects.toMatchObject({ status: 404, code: 'not_found' });

      expect(sampling(await e2e.client.api.mcpServerRequestsList())).toEqual([requestId]);
      await e2e.client.api.mcpServerRequestsRespond({ params: { requestId }, body: { result: { role: 'assistant', content: { type: 'text', text: 'the caller\'s model' }, model: 'm' } } });
      expect(JSON.stringify((await call).content)).toContain('the caller\'s model');
      await e2e.waitForEvent((e) => e.type === 'mcp.server_request.resolved' && e.data.requestId === requestId);
      // An event the other origin hears comes after them: by then it would have had both.
      await other.api.mcpCall({ body: { serverId, tool: 'echo', arguments: { message: 'after' }, callId: 'after-sampling' } });
      await heardByOther.next('mcp.call.completed', (data) => data.callId === 'after-sampling');
      expect(heardByOther.events.filter((e) => JSON.stringify(e.data).includes(requestId))).toEqual([]);
    } finally {
      heardByOther.stop();
    }
  });
});
