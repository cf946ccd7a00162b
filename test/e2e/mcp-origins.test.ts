import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BridgeClientError, createBridgeClient, type BridgeClient } from '../../src/client/index.js';
import { EVERYTHING_ENTRY } from '../fixtures/mcp/everything.js';
import { collectEvents } from './system-support.js';
import { startMcpE2e, type McpE2e } from './mcp-support.js';

/** A second web app the user allowed: each registers its own servers, and each call is its caller's. */
const OTHER_ORIGIN = 'https://other-app.example';
const node = process.execPath;
const args = [EVERYTHING_ENTRY, 'stdio'];
const everything = { type: 'stdio' as const, command: node, args, template: { command: node, args } };

/** Registers server-everything as `client`'s own and connects it, allowing its start once. */
async function registerEverything(client: BridgeClient): Promise<string> {
  const { serverId } = await client.api.mcpServersRegister({ body: { name: 'everything', transport: everything } });
  const { promptId } = await client.api.mcpServersConnect({ params: { serverId } });
  await client.api.systemPermissionsPromptsResolve({ params: { requestId: promptId! }, body: { decision: 'allow_once' } });
  return serverId;
}

describe('MCP servers and calls, origins isolated (server-everything over stdio)', () => {
  let e2e: McpE2e;
  let other: BridgeClient;
  let serverId: string;
  let otherServerId: string;

  beforeAll(async () => {
    e2e = await startMcpE2e({ allowedOrigins: [OTHER_ORIGIN] });
    serverId = await registerEverything(e2e.client);
    await e2e.waitForState(serverId, 'connected');
    other = createBridgeClient({ baseUrl: e2e.bridge.baseUrl, origin: OTHER_ORIGIN, clientName: 'other app' });
    await other.handshake();
    // The same name: names are unique per origin, and another origin's are not reserved.
    otherServerId = await registerEverything(other);
    await vi.waitFor(async () => expect((await other.api.mcpServersList()).servers.map((s) => s.state)).toEqual(['connected']), { timeout: 45_000, interval: 50 });
  }, 120_000);
  afterAll(async () => {
    other?.close();
    await e2e?.close();
  });

  it('keeps each origin\'s servers to itself: unlisted, unusable and unheard by any other origin', async () => {
    const mine = (await e2e.client.api.mcpServersList()).servers;
    const theirs = (await other.api.mcpServersList()).servers;
    expect(mine.map((s) => [s.serverId, s.origin])).toEqual([[serverId, e2e.bridge.origin]]);
    expect(theirs.map((s) => [s.serverId, s.name, s.origin])).toEqual([[otherServerId, 'everything', OTHER_ORIGIN]]);

    // Every route that names a server answers 404 for another origin's, as for one that does not exist.
    const params = { serverId };
    const attempts: Array<[string, () => Promise<unknown>]> = [
      ['connect', () => other.api.mcpServersConnect({ params })],
      ['disconnect', () => other.api.mcpServersDisconnect({ params })],
      ['capabilities', () => other.api.mcpServersCapabilities({ params })],
      ['logs', () => other.api.mcpServerLogs({ params })],
      ['update', () => other.api.mcpServersUpdate({ params, body: { options: { callTimeoutMs: 1_000 } } })],
      ['call', () => other.api.mcpCall({ body: { serverId, tool: 'echo', arguments: { message: 'x' } } })],
      ['read', () => other.api.mcpResourcesRead({ body: { serverId, uri: 'demo://resource/static/document/architecture.md' } })],
      ['prompt', () => other.api.mcpPromptsGet({ body: { serverId, name: 'simple-prompt' } })],
      ['remove', () => other.api.mcpServersRemove({ params })],
    ];
    for (const [name, attempt] of attempts) {
      const refused = await attempt().then(
        () => null,
        (error: unknown) => error,
      );
      expect(refused, name).toMatchObject({ status: 404, code: 'not_found', details: { serverId } });
    }
    // Nothing of it happened: the server is still there, connected, with its options.
    const after = (await e2e.client.api.mcpServersList()).servers[0]!;
    expect(after).toMatchObject({ serverId, state: 'connected', options: { callTimeoutMs: mine[0]!.options.callTimeoutMs } });
    expect((await e2e.client.api.mcpCall({ body: { serverId, tool: 'echo', arguments: { message: 'still mine' } } })).content).toEqual([{ type: 'text', text: 'Echo: still mine' }]);

    // Each origin's sockets hear of its own servers only, from the first event on (a replay from 0).
    const heardByOther = collectEvents(other, ['mcp.server.*', 'mcp.server_request.*']);
    try {
      // Its server asks for roots on its own 350 ms after the handshake: that request is its alone too.
      const roots = await heardByOther.next('mcp.server_request.created', (data) => data.serverId === otherServerId && data.kind === 'roots');
      expect((await e2e.client.api.mcpServerRequestsList()).requests.filter((r) => r.serverId === otherServerId)).toEqual([]);
      await expect(e2e.client.api.mcpServerRequestsRespond({ params: { requestId: roots.requestId as string }, body: { result: { roots: [] } } })).rejects.toMatchObject({ status: 404 });
      // Events after those: by the time each origin hears its own, it would have heard the other's.
      await e2e.client.api.mcpServersUpdate({ params, body: { options: { callTimeoutMs: 30_000 } } });
      await e2e.waitForEvent((e) => e.type === 'mcp.server.updated' && e.data.serverId === serverId);
      await other.api.mcpServersUpdate({ params: { serverId: otherServerId }, body: { options: { callTimeoutMs: 30_000 } } });
      await heardByOther.next('mcp.server.updated', (data) => data.serverId === otherServerId);
      await e2e.waitForEvent((e) => e.type === 'mcp.server.updated' && e.data.serverId === serverId && e.data.options.callTimeoutMs === 30_000);
      expect(new Set(heardByOther.events.map((e) => (e.data as { serverId: string }).serverId))).toEqual(new Set([otherServerId]));
      expect(e2e.events.filter((e) => (e.data as { serverId?: string }).serverId === otherServerId)).toEqual([]);
    } finally {
      heardByOther.stop();
    }

    // The local UI sees both, each with its owner.
    const ui = createBridgeClient({ baseUrl: e2e.bridge.baseUrl, uiToken: e2e.bridge.uiToken, clientName: 'ui' });
    try {
      const listed = (await ui.api.mcpServersList()).servers.map((s) => [s.serverId, s.origin]);
      expect(new Set(listed.map(String))).toEqual(new Set([[serverId, e2e.bridge.origin], [otherServerId, OTHER_ORIGIN]].map(String)));
    } finally {
      ui.close();
    }
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
      const own = await other.api.mcpCall({ body: { serverId: otherServerId, tool: 'echo', arguments: { message: 'b' }, callId: 'other-call' } });
      expect(own.content).toEqual([{ type: 'text', text: 'Echo: b' }]);
      await heardByOther.next('mcp.call.completed', (data) => data.callId === 'other-call');
      // (A call of its own refused with 404 above is its own too.)
      expect(heardByOther.events.filter((e) => (e.data as { requestedBy?: { origin?: string } }).requestedBy?.origin !== OTHER_ORIGIN)).toEqual([]);
      expect(heardByOther.events.map((e) => (e.data as { callId: string }).callId)).toContain('other-call');
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
    const theirs = await other.api.mcpCall({ body: { serverId: otherServerId, tool: 'echo', arguments: { message: 'b' }, callId } });
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
      // (The roots requests each server made on its own after the handshake are its owner's.)
      const sampling = (list: { requests: Array<{ requestId: string; kind: string }> }) => list.requests.filter((r) => r.kind === 'sampling').map((r) => r.requestId);
      expect(sampling(await other.api.mcpServerRequestsList())).toEqual([]);
      const forged = { result: { role: 'assistant', content: { type: 'text', text: 'forged by another app' }, model: 'm' } };
      await expect(other.api.mcpServerRequestsRespond({ params: { requestId }, body: forged })).rejects.toMatchObject({ status: 404, code: 'not_found' });

      expect(sampling(await e2e.client.api.mcpServerRequestsList())).toEqual([requestId]);
      await e2e.client.api.mcpServerRequestsRespond({ params: { requestId }, body: { result: { role: 'assistant', content: { type: 'text', text: 'the caller\'s model' }, model: 'm' } } });
      expect(JSON.stringify((await call).content)).toContain('the caller\'s model');
      await e2e.waitForEvent((e) => e.type === 'mcp.server_request.resolved' && e.data.requestId === requestId);
      // An event the other origin hears comes after them: by then it would have had both.
      await other.api.mcpCall({ body: { serverId: otherServerId, tool: 'echo', arguments: { message: 'after' }, callId: 'after-sampling' } });
      await heardByOther.next('mcp.call.completed', (data) => data.callId === 'after-sampling');
      expect(heardByOther.events.filter((e) => JSON.stringify(e.data).includes(requestId))).toEqual([]);
    } finally {
      heardByOther.stop();
    }
  });
});
