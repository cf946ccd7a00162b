import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createBridgeClient, type BridgeClient } from '../../../src/client/index.js';
import { MAX_REQUEST_FRAME_BYTES, MAX_SOCKET_REQUESTS_IN_FLIGHT } from '../../../src/contract/ws-requests.js';
import { E2E_MCP } from '../../e2e/mcp-support.js';
import { EVERYTHING_ENTRY } from '../../fixtures/mcp/everything.js';
import { handshake, startTestBridge, type TestBridge } from '../../support/test-bridge.js';
import { openRawSocket, type RawSocket } from './socket-support.js';

const APP_ORIGIN = 'https://app.example';
const node = process.execPath;
const args = [EVERYTHING_ENTRY, 'stdio'];

/**
 * Request frames on the event socket from a hostile page: whatever it sends, it gets a structured
 * reply from the error registry and keeps its socket; each frame is authorised again, so a
 * session revoked, expired or an origin no longer allowed is refused on its very next frame.
 * A real bridge and a real MCP server (server-everything over stdio).
 */
describe('request frames on the event socket', () => {
  let bridge: TestBridge;
  let client: BridgeClient;
  let ui: BridgeClient;
  let serverId: string;
  let shared: { token: string; sessionId: string };

  beforeAll(async () => {
    bridge = await startTestBridge({ config: { mcp: E2E_MCP, commandPath: 'inherited', approvals: { localOnly: false }, allowedOrigins: [APP_ORIGIN] } });
    client = createBridgeClient({ baseUrl: bridge.baseUrl, origin: APP_ORIGIN, clientName: 'socket requests' });
    ui = createBridgeClient({ baseUrl: bridge.baseUrl, uiToken: bridge.uiToken, clientName: 'socket requests ui' });
    await client.handshake();
    shared = await handshake(bridge, APP_ORIGIN);
    ({ serverId } = await client.api.mcpServersRegister({ body: { name: 'everything', transport: { type: 'stdio', command: node, args, template: { command: node, args } } } }));
    const { promptId } = await client.api.mcpServersConnect({ params: { serverId } });
    if (promptId) await ui.api.systemPermissionsPromptsResolve({ params: { requestId: promptId }, body: { decision: 'allow_once' } });
    for (;;) {
      const server = (await client.api.mcpServersList()).servers.find((s) => s.serverId === serverId);
      if (server?.state === 'connected') break;
      if (server?.state === 'failed') throw new Error(`server failed: ${server.lastError}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }, 60_000);
  afterAll(async () => {
    client?.close();
    ui?.close();
    await bridge?.close();
  });

  /** A socket of the shared session, or of `session`. */
  const sessionSocket = async (query: Record<string, string> = {}, session = shared) => ({
    token: session.token,
    socket: await openRawSocket(bridge.baseUrl, { sessionToken: session.token, ...query }, APP_ORIGIN),
  });
  const echo = (socket: RawSocket, id: string, message = id) => socket.send({ type: 'request', id, route: 'mcp.call', body: { serverId, tool: 'echo', arguments: { message } } });

  it('answers an MCP call with the HTTP route\'s status and reply', async () => {
    const { socket, token } = await sessionSocket({ events: 'none' });
    echo(socket, 'a');
    const reply = await socket.reply('a');
    expect(reply).toMatchObject({ type: 'reply', id: 'a', status: 200, body: { content: [{ type: 'text', text: 'Echo: a' }], bridge: { outputSchema: expect.any(String) } } });

    const http = await fetch(`${bridge.baseUrl}/api/v1/mcp/call`, {
      method: 'POST',
      headers: { origin: APP_ORIGIN, 'content-type': 'application/json', 'x-osloop-bridge-token': token },
      body: JSON.stringify({ serverId, tool: 'echo', arguments: { message: 'a' } }),
    });
    const { bridge: httpFacts, ...httpResult } = (await http.json()) as Record<string, unknown>;
    const { bridge: socketFacts, ...socketResult } = reply.body!;
    expect(socketResult).toEqual(httpResult);
    expect(Object.keys(socketFacts as object).sort()).toEqual(Object.keys(httpFacts as object).sort());
    socket.ws.close();
  });

  it('gives bad bodies the HTTP route\'s own validation error, with the request id', async () => {
    const { socket, token } = await sessionSocket();
    const badBody = { serverId, arguments: {}, extra: true };
    socket.send({ type: 'request', id: 'bad', route: 'mcp.call', body: badBody });
    const reply = await socket.reply('bad');
    const http = await fetch(`${bridge.baseUrl}/api/v1/mcp/call`, {
      method: 'POST',
      headers: { origin: APP_ORIGIN, 'content-type': 'application/json', 'x-osloop-bridge-token': token },
      body: JSON.stringify(badBody),
    });
    expect(http.status).toBe(400);
    expect(reply).toMatchObject({ status: 400, body: await http.json() });
    socket.ws.close();
  });

  it.each([
    ['an unknown route', { type: 'request', id: 'r', route: 'mcp.nothing', body: {} }, 'r', 404, 'not_found'],
    ['a route not allowed on the socket (prompt resolution)', { type: 'request', id: 'r', route: 'system.permissions.prompts.resolve', body: { decision: 'allow_once' } }, 'r', 403, 'forbidden'],
    ['a route not allowed on the socket (a UI route)', { type: 'request', id: 'r', route: 'ui.sessions.list' }, 'r', 403, 'forbidden'],
    ['a route not allowed on the socket (execute)', { type: 'request', id: 'r', route: 'system.commands.execute', body: { command: 'true' } }, 'r', 403, 'forbidden'],
    ['a frame naming its own principal', { type: 'request', id: 'r', route: 'mcp.call', body: {}, principal: { kind: 'ui' } }, 'r', 400, 'invalid_request'],
    ['a frame with a session token of its own', { type: 'request', id: 'r', route: 'mcp.call', body: {}, sessionToken: 'x' }, 'r', 400, 'invalid_request'],
    ['a frame without an id', { type: 'request', route: 'mcp.call', body: {} }, null, 400, 'invalid_request'],
    ['an id too long to echo', { type: 'request', id: 'x'.repeat(500), route: 'mcp.call', body: {} }, null, 400, 'invalid_request'],
    ['a body with __proto__', '{"type":"request","id":"r","route":"mcp.call","body":{"__proto__":{"admin":true}}}', null, 400, 'invalid_request'],
    ['a body with __proto__ spelled in escapes', '{"type":"request","id":"r","route":"mcp.call","body":{"\\u005f_proto\\u005f_":{"admin":true}}}', null, 400, 'invalid_request'],
    ['text that is not JSON', '{"type":"request",', null, 400, 'invalid_request'],
    ['JSON that is not an object', '[1,2]', null, 400, 'invalid_request'],
    ['a frame over the request bound', JSON.stringify({ type: 'request', id: 'r', route: 'mcp.call', body: { pad: 'x'.repeat(MAX_REQUEST_FRAME_BYTES) } }), null, 413, 'payload_too_large'],
  ])('refuses %s with a structured error and keeps the socket', async (_name, frame, id, status, code) => {
    const { socket } = await sessionSocket({ events: 'none' });
    socket.send(frame);
    const reply = await socket.frame((f) => f.type === 'reply');
    expect(reply).toMatchObject({ id, status, body: { error: { code, message: expect.any(String) } } });
    // Still usable.
    echo(socket, 'after');
    expect(await socket.reply('after')).toMatchObject({ status: 200 });
    expect(socket.closed).toBeNull();
    socket.ws.close();
  });

  it('closes with 1009 only past the socket\'s own frame limit (64 KiB), which ws enforces before reading', async () => {
    const { socket } = await sessionSocket({ events: 'none' });
    socket.send('x'.repeat(64 * 1024 + 1));
    expect((await socket.untilClosed()).code).toBe(1009);
  });

  it('refuses a second request with an id still in flight, and lets the first finish', async () => {
    const { socket } = await sessionSocket({ events: 'none' });
    const slow = { type: 'request', id: 'same', route: 'mcp.call', body: { serverId, tool: 'trigger-long-running-operation', arguments: { duration: 1, steps: 1 } } };
    socket.send(slow);
    // Frames are read in order: the first is in flight when the second arrives.
    echo(socket, 'same');
    const conflict = await socket.frame((f) => f.type === 'reply' && f.status === 409);
    expect(conflict).toMatchObject({ id: null, body: { error: { code: 'conflict', details: { id: 'same' } } } });
    const first = await socket.reply('same');
    expect(first).toMatchObject({ status: 200, body: { content: [{ type: 'text', text: expect.stringContaining('Long running operation completed') }] } });
    // Once answered, the id may be used again.
    socket.frames.length = 0;
    echo(socket, 'same');
    expect(await socket.reply('same')).toMatchObject({ status: 200, body: { content: [{ text: 'Echo: same' }] } });
    socket.ws.close();
  });

  it(`refuses more than ${MAX_SOCKET_REQUESTS_IN_FLIGHT} requests in flight on one socket`, async () => {
    const { socket } = await sessionSocket({ events: 'none' });
    // Long enough that none can finish before the last frame is read, however loaded the machine.
    for (let i = 0; i <= MAX_SOCKET_REQUESTS_IN_FLIGHT; i++) {
      socket.send({ type: 'request', id: `slow-${i}`, route: 'mcp.call', body: { serverId, tool: 'trigger-long-running-operation', arguments: { duration: 120, steps: 120 } } });
    }
    const refused = await socket.reply(`slow-${MAX_SOCKET_REQUESTS_IN_FLIGHT}`);
    expect(refused).toMatchObject({ status: 429, body: { error: { code: 'rate_limited' } } });
    for (let i = 0; i < MAX_SOCKET_REQUESTS_IN_FLIGHT; i++) socket.send({ type: 'cancel', id: `slow-${i}` });
    for (let i = 0; i < MAX_SOCKET_REQUESTS_IN_FLIGHT; i++) expect(await socket.reply(`slow-${i}`)).toMatchObject({ status: 409, body: { error: { details: { reason: 'cancelled' } } } });
    // Room again once they are answered.
    echo(socket, 'after-cancels');
    expect(await socket.reply('after-cancels')).toMatchObject({ status: 200 });
    socket.ws.close();
  });

  it('refuses the very next frame of a revoked session, even before its socket is closed', async () => {
    const own = await handshake(bridge, APP_ORIGIN);
    const { socket } = await sessionSocket({ events: 'none' }, own);
    echo(socket, 'before-revoke');
    expect(await socket.reply('before-revoke')).toMatchObject({ status: 200 });
    await ui.api.uiSessionsRevoke({ params: { sessionId: own.sessionId } });
    if (socket.ws.readyState === socket.ws.OPEN) echo(socket, 'after-revoke');
    // Either the frame was refused, or the revocation closed the socket (4001) first; never served.
    await vi.waitFor(() => expect(socket.closed !== null || socket.frames.some((f) => f.id === 'after-revoke')).toBe(true), { timeout: 30_000, interval: 5 });
    const reply = socket.frames.find((f) => f.id === 'after-revoke');
    if (reply) expect(reply).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
    else expect(socket.closed?.code).toBe(4001);
  });

  it('refuses the next frame once the page\'s origin is no longer allowed', async () => {
    const { socket } = await sessionSocket({ events: 'none' });
    echo(socket, 'before');
    expect(await socket.reply('before')).toMatchObject({ status: 200 });
    await ui.api.uiSettingsUpdate({ body: { allowedOrigins: [] } });
    try {
      echo(socket, 'after');
      expect(await socket.reply('after')).toMatchObject({ status: 403, body: { error: { code: 'forbidden_origin' } } });
    } finally {
      await ui.api.uiSettingsUpdate({ body: { allowedOrigins: [APP_ORIGIN] } });
    }
    socket.ws.close();
  });

  it('cancels a request on a cancel frame, as an HTTP client going away does', async () => {
    const { socket } = await sessionSocket({ events: 'none' });
    socket.send({ type: 'request', id: 'long', route: 'mcp.call', body: { serverId, tool: 'trigger-long-running-operation', arguments: { duration: 60, steps: 60 } } });
    socket.send({ type: 'cancel', id: 'long' });
    const reply = await socket.reply('long');
    expect(reply).toMatchObject({ status: 409, body: { error: { code: 'conflict', details: { reason: 'cancelled', by: 'client_gone' } } } });
    // Cancelling what is not in flight is no error (the race with the reply is normal).
    socket.send({ type: 'cancel', id: 'long' });
    echo(socket, 'still');
    expect(await socket.reply('still')).toMatchObject({ status: 200 });
    expect(socket.frames.filter((f) => f.type === 'reply')).toHaveLength(2);
    socket.ws.close();
  });

  it('keeps an event socket\'s events flowing beside replies', async () => {
    const { socket } = await sessionSocket({ types: 'mcp.call.completed' });
    echo(socket, 'with-events');
    const reply = await socket.reply('with-events');
    const callId = (reply.body!.bridge as { callId: string }).callId;
    await socket.frame((f) => f.type === 'mcp.call.completed' && (f.data as { callId?: string }).callId === callId);
    socket.ws.close();
  });
});
