import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVERYTHING_ENTRY, FILESYSTEM_ENTRY, FIXTURES, isAlive } from '../fixtures/mcp/everything.js';
import { startMcpE2e, type McpE2e } from './mcp-support.js';

const node = process.execPath;
const stdio = (args: string[]) => ({ type: 'stdio' as const, command: node, args, template: { command: node, args } });

/**
 * Local stdio servers from npm, through a real bridge and its real permission authority: a
 * stdio server is a command the bridge runs, so nothing starts before the user allows it.
 */
describe('stdio MCP servers, end to end', () => {
  let e2e: McpE2e;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'osloop-mcp-fs-'));
    e2e = await startMcpE2e();
  });
  afterAll(async () => {
    await e2e?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const resolve = (promptId: string, decision: 'allow_once' | 'allow_and_whitelist' | 'reject') =>
    e2e.client.api.systemPermissionsPromptsResolve({ params: { requestId: promptId }, body: { decision } });
  const view = async (serverId: string) => (await e2e.client.api.mcpServersList()).servers.find((s) => s.serverId === serverId)!;

  it('waits for the user, then runs server-everything; a SIGKILL mid-session is survived without asking again', async () => {
    const { api } = e2e.client;
    const args = [EVERYTHING_ENTRY, 'stdio'];
    const { serverId } = await api.mcpServersRegister({ body: { name: 'everything', transport: stdio(args) } });
    const reply = await api.mcpServersConnect({ params: { serverId } });
    expect(reply).toMatchObject({ serverId, state: 'awaiting_permission', promptId: expect.any(String) });
    expect(await view(serverId)).toMatchObject({ state: 'awaiting_permission', promptId: reply.promptId, pid: null });

    // The prompt shows the exact command line, untruncated.
    const prompt = await e2e.waitForEvent((e) => e.type === 'permission.prompt.created' && e.data.promptId === reply.promptId);
    expect(prompt.data).toMatchObject({ kind: 'mcp_server', subjectId: serverId, template: { command: node, args } });

    await resolve(reply.promptId!, 'allow_once');
    await e2e.waitForState(serverId, 'connected');
    const { pid } = await view(serverId);
    expect(pid).toEqual(expect.any(Number));
    expect(await api.mcpCall({ body: { serverId, tool: 'echo', arguments: { message: 'one' } } })).toMatchObject({ content: [{ text: 'Echo: one' }] });

    const mark = e2e.events.length;
    process.kill(pid!, 'SIGKILL');
    await e2e.waitForState(serverId, 'reconnecting', { after: mark });
    await e2e.waitForState(serverId, 'connected', { after: mark });
    const restarted = await view(serverId);
    expect(restarted.pid).not.toBe(pid);
    expect(e2e.events.slice(mark).filter((e) => e.type === 'permission.prompt.created')).toEqual([]);
    expect(await api.mcpCall({ body: { serverId, tool: 'echo', arguments: { message: 'two' } } })).toMatchObject({ content: [{ text: 'Echo: two' }] });

    await api.mcpServersRemove({ params: { serverId } });
    expect(isAlive(restarted.pid!)).toBe(false);
  });

  it('runs server-filesystem once whitelisted without a new prompt', async () => {
    const { api } = e2e.client;
    await writeFile(path.join(dir, 'note.txt'), 'hello from the bridge');
    const { serverId } = await api.mcpServersRegister({ body: { name: 'files', transport: stdio([FILESYSTEM_ENTRY, dir]) } });
    const first = await api.mcpServersConnect({ params: { serverId } });
    await resolve(first.promptId!, 'allow_and_whitelist');
    await e2e.waitForState(serverId, 'connected');
    const result = await api.mcpCall({ body: { serverId, tool: 'read_text_file', arguments: { path: path.join(dir, 'note.txt') } } });
    expect(JSON.stringify(result)).toContain('hello from the bridge');

    await api.mcpServersDisconnect({ params: { serverId } });
    const mark = e2e.events.length;
    expect(await api.mcpServersConnect({ params: { serverId } })).toEqual({ serverId, state: 'connecting' });
    await e2e.waitForState(serverId, 'connected', { after: mark });
    await api.mcpServersRemove({ params: { serverId } });
  });

  it('starts nothing when the user rejects', async () => {
    const { api } = e2e.client;
    const { serverId } = await api.mcpServersRegister({ body: { name: 'rejected', transport: stdio([EVERYTHING_ENTRY, 'stdio']) } });
    const { promptId } = await api.mcpServersConnect({ params: { serverId } });
    await resolve(promptId!, 'reject');
    const state = await e2e.waitForState(serverId, 'disconnected');
    expect(state).toMatchObject({ previousState: 'awaiting_permission', lastErrorCode: 'rejected_by_user' });
    expect((await view(serverId)).pid).toBeNull();
    await api.mcpServersRemove({ params: { serverId } });
  });

  it('ends failed, with its stderr, for a server that exits at once', async () => {
    const { api } = e2e.client;
    const { serverId } = await api.mcpServersRegister({ body: { name: 'broken', transport: stdio([path.join(FIXTURES, 'exits-at-once.mjs')]) } });
    const { promptId } = await api.mcpServersConnect({ params: { serverId } });
    await resolve(promptId!, 'allow_once');
    const failed = await e2e.waitForState(serverId, 'failed');
    expect(failed.lastError).toContain('fatal: OSLOOP_TEST_API_KEY is not set');
    expect((await view(serverId)).stderrTail).toContain('fatal: OSLOOP_TEST_API_KEY is not set');
    await api.mcpServersRemove({ params: { serverId } });
  });
});
