import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Principal } from '../../../src/contract/principal.js';
import { InMemoryConnector } from '../../../src/mcp/in-memory-connector.js';
import { askingServer } from '../../fixtures/mcp/protocol-twins.js';
import { USER, connectHttp, startMcpHarness, type McpHarness } from './harness.js';

const ASKING = 'http://127.0.0.1:7/asking';
const OTHER: Principal = { kind: 'session', sessionId: 'ses_other', origin: 'https://other-app.example' };
const SAME_ORIGIN_TAB: Principal = { kind: 'session', sessionId: 'ses_second_tab', origin: USER.kind === 'session' ? USER.origin : null };
const UI: Principal = { kind: 'ui' };

interface Created {
  requestId: string;
  visibleTo: string;
  requestedBy: Principal | null;
  params: Record<string, unknown>;
}

describe('an MCP server\'s own requests reach only the caller they serve', () => {
  let h: McpHarness;
  let serverId: string;
  afterEach(() => h?.stop());
  const start = async () => {
    h = await startMcpHarness({ connector: new InMemoryConnector({ [ASKING]: askingServer }) });
    serverId = await connectHttp(h, 'asking', ASKING);
  };
  const createdRequests = () => h.events.filter((e) => e.type === 'mcp.server_request.created').map((e) => e.data as Created);
  const nthCreated = (n: number) =>
    vi.waitFor(() => {
      const request = createdRequests()[n];
      if (!request) throw new Error(`no server request #${n} yet`);
      return request;
    });
  const listFor = async (principal: Principal) => (await h.call<{ requests: Created[] }>('mcp.server_requests.list', { principal })).requests.map((r) => r.requestId);
  const accept = (requestId: string, principal: Principal, content: Record<string, unknown> = {}) =>
    h.call('mcp.server_requests.respond', { params: { requestId }, body: { result: { action: 'accept', content } }, principal });

  it('gives an elicitation made during a call to the caller\'s origin and the local UI; to another origin it does not exist', async () => {
    await start();
    const call = h.call<{ content: unknown }>('mcp.call', { body: { serverId, tool: 'ask' }, principal: USER });
    const request = await nthCreated(0);
    expect(request).toMatchObject({ visibleTo: 'caller', requestedBy: USER });

    expect(await listFor(OTHER)).toEqual([]);
    await expect(accept(request.requestId, OTHER, { name: 'Mallory' })).rejects.toMatchObject({ code: 'not_found' });
    expect(await listFor(UI)).toEqual([request.requestId]);
    expect(await listFor(USER)).toEqual([request.requestId]);
    // Another tab of the same web app is the same origin.
    expect(await listFor(SAME_ORIGIN_TAB)).toEqual([request.requestId]);

    await accept(request.requestId, USER, { name: 'Ada' });
    expect(JSON.stringify((await call).content)).toContain('Ada');
    const resolved = h.events.find((e) => e.type === 'mcp.server_request.resolved')?.data;
    expect(resolved).toMatchObject({ requestId: request.requestId, state: 'answered', visibleTo: 'caller', requestedBy: USER });
  });

  it('counts a prompt being got as the caller\'s request too', async () => {
    await start();
    const prompt = h.call<{ messages: Array<{ content: { text: string } }> }>('mcp.prompts.get', { body: { serverId, name: 'ask-prompt', arguments: {} }, principal: SAME_ORIGIN_TAB });
    const request = await nthCreated(0);
    expect(request).toMatchObject({ visibleTo: 'caller', requestedBy: SAME_ORIGIN_TAB });
    expect(await listFor(OTHER)).toEqual([]);
    await accept(request.requestId, SAME_ORIGIN_TAB, { topic: 'tides' });
    expect((await prompt).messages[0]!.content.text).toContain('tides');
  });

  it('leaves a request made while the origin\'s and the local UI\'s calls are both in flight to the local UI alone', async () => {
    await start();
    const first = h.call<{ content: unknown }>('mcp.call', { body: { serverId, tool: 'ask' }, principal: USER });
    const ownRequest = await nthCreated(0);
    const second = h.call<{ content: unknown }>('mcp.call', { body: { serverId, tool: 'ask' }, principal: UI });
    const ambiguous = await nthCreated(1);
    // Which of the two calls it serves, the protocol does not say.
    expect(ambiguous).toMatchObject({ visibleTo: 'ui_only', requestedBy: null });
    expect(await listFor(USER)).toEqual([ownRequest.requestId]);
    await expect(accept(ambiguous.requestId, USER)).rejects.toMatchObject({ code: 'not_found' });
    expect(await listFor(UI)).toEqual([ownRequest.requestId, ambiguous.requestId]);

    await accept(ambiguous.requestId, UI, { name: 'decided by the user' });
    await accept(ownRequest.requestId, USER, { name: 'Ada' });
    expect(JSON.stringify([(await first).content, (await second).content])).toContain('decided by the user');
  });

  it('keeps calls of one origin\'s sessions together: their requests stay the origin\'s', async () => {
    await start();
    const first = h.call('mcp.call', { body: { serverId, tool: 'ask' }, principal: USER });
    await nthCreated(0);
    const second = h.call('mcp.call', { body: { serverId, tool: 'ask' }, principal: SAME_ORIGIN_TAB });
    const request = await nthCreated(1);
    expect(request).toMatchObject({ visibleTo: 'caller' });
    for (const created of createdRequests()) await accept(created.requestId, USER, { name: 'x' });
    await Promise.all([first, second]);
  });

  it('gives a request the server makes on its own, with no call in flight, to everyone who may use the server: its origin, no other', async () => {
    await start();
    await h.call('mcp.call', { body: { serverId, tool: 'ask-later' }, principal: USER });
    const request = await nthCreated(0);
    expect(request).toMatchObject({ visibleTo: 'everyone', requestedBy: null });
    expect(await listFor(OTHER)).toEqual([]);
    await expect(accept(request.requestId, OTHER)).rejects.toMatchObject({ code: 'not_found' });
    expect(await listFor(UI)).toEqual([request.requestId]);
    expect(await accept(request.requestId, SAME_ORIGIN_TAB)).toEqual({ requestId: request.requestId, state: 'answered' });
  });
});
