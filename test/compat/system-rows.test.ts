import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBridgeClient, type BridgeClient } from '../../src/client/index.js';
import { collectEvents } from '../e2e/system-support.js';
import { startTestBridge, type TestBridge } from '../support/test-bridge.js';

/*
 * The rows of ../shared/web-app-contract.md for installs, locate, directory listing and bodyless
 * requests, played the way the OS Loop web app plays them: plain fetch() from its own origin, with
 * its session token, in its request shapes. The user answers in the bridge's own window (the UI
 * token), as a person would.
 */

const WEB_APP = 'https://app.osloop.example';

let tmp: string;
let work: string;
let bridge: TestBridge;
let ui: BridgeClient;
/** The web app's own client, for its event socket (a session of the web app's origin). */
let webApp: BridgeClient;
let token: string;

beforeAll(async () => {
  tmp = await realpath(await mkdtemp(path.join(os.tmpdir(), 'compat-system-')));
  work = path.join(tmp, 'work');
  await mkdir(path.join(work, 'src'), { recursive: true });
  await mkdir(path.join(tmp, 'outside'));
  await writeFile(path.join(work, 'README.md'), '# project');
  await writeFile(path.join(tmp, 'outside', 'secret.txt'), 'secret');
  await symlink(path.join(tmp, 'outside'), path.join(work, 'escape'));
  bridge = await startTestBridge({ config: { allowedOrigins: [WEB_APP], filesystem: { roots: [{ path: work, access: 'read-write' }] } } });
  ui = createBridgeClient({ baseUrl: bridge.baseUrl, origin: bridge.origin, uiToken: bridge.uiToken });
  const handshake = await fetch(`${bridge.baseUrl}/api/v1/session/handshake`, {
    method: 'POST',
    headers: { origin: WEB_APP, 'content-type': 'application/json' },
    body: JSON.stringify({ clientName: 'OS Loop' }),
  });
  token = ((await handshake.json()) as { sessionToken: string }).sessionToken;
  webApp = createBridgeClient({ baseUrl: bridge.baseUrl, origin: WEB_APP, clientName: 'OS Loop events' });
  await webApp.handshake();
});
afterAll(async () => {
  ui.close();
  webApp.close();
  await bridge.close();
  await rm(tmp, { recursive: true, force: true });
});

/** A request as the web app's fetch() makes it: a JSON body gets its Content-Type, no body gets none. */
async function app(method: string, route: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${bridge.baseUrl}${route}`, {
    method,
    headers: { origin: WEB_APP, 'x-osloop-bridge-token': token, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The bridge window answers a prompt. */
const answer = (promptId: string, decision: 'allow_once' | 'allow_and_whitelist' | 'reject') =>
  ui.api.systemPermissionsPromptsResolve({ params: { requestId: promptId }, body: { decision } });

/** Sends a held request and answers its prompt (found by its reason) once it is open. */
async function heldUntilAnswered(route: string, body: { reason: string } & Record<string, unknown>, decision: 'allow_once' | 'allow_and_whitelist' | 'reject') {
  const events = collectEvents(ui, ['permission.prompt.created']);
  const reply = app('POST', route, body);
  const prompt = await events.next('permission.prompt.created', (data) => data.reason === body.reason);
  const resolved = await answer(String(prompt.promptId), decision);
  events.stop();
  return { reply: await reply, prompt, resolved };
}

describe('installs', () => {
  it('install of claude-code, rejected by the user: accepted false, rejected_by_user, and nothing ran', async () => {
    const events = collectEvents(ui, ['system.command.started', 'bridge.job.*']);
    const appEvents = collectEvents(webApp, ['bridge.job.*']);
    const { reply, prompt } = await heldUntilAnswered('/api/v1/system/tools/install', { toolId: 'claude-code', reason: 'The skill needs Claude Code', requestId: 'req-install-claude' }, 'reject');
    expect(reply.status).toBe(403);
    expect(reply.body).toMatchObject({ accepted: false, reason: { code: 'rejected_by_user', message: expect.any(String) } });
    expect(prompt).toMatchObject({ kind: 'install', whitelistAllowed: false, details: { tool: 'claude-code', steps: [{ command: 'npm', args: ['install', '--global', '@anthropic-ai/claude-code'] }] } });

    const installId = (prompt.details as { installId: string }).installId;
    expect(await events.next('bridge.job.updated', (data) => data.runId === installId)).toMatchObject({ kind: 'install', status: 'failed', errorCode: 'rejected_by_user', summary: { toolId: 'claude-code' } });
    expect(events.events.filter((event) => event.type === 'system.command.started')).toEqual([]);
    const { runs } = await ui.api.systemCommandsRunsList({ query: { limit: 500 } });
    expect(runs.filter((run) => run.kind === 'install')).toEqual([]);
    // The web app follows its install job on its own socket.
    expect(await appEvents.next('bridge.job.updated', (data) => data.runId === installId)).toMatchObject({ status: 'failed', errorCode: 'rejected_by_user' });
    expect(appEvents.events.map((event) => event.type)).toEqual(['bridge.job.created', 'bridge.job.updated']);
    appEvents.stop();
    events.stop();
  });

  it('the install prompt lists every step of the recipe, exactly as each would run', async () => {
    // jq here resolves to apt's two steps (update, then install).
    const resolved = await ui.api.systemToolsRecipesResolve({ body: { tool: 'jq' } });
    expect(resolved.status).toBe('resolved');
    const steps = resolved.status === 'resolved' ? resolved.steps : [];
    expect(steps.length).toBeGreaterThan(1);
    const { reply, prompt } = await heldUntilAnswered('/api/v1/system/tools/install', { toolId: 'jq', reason: 'The skill parses JSON' }, 'reject');
    expect(reply.body).toMatchObject({ accepted: false, reason: { code: 'rejected_by_user' } });
    expect((prompt.details as { steps: unknown }).steps).toEqual(steps);
    expect(prompt.template).toMatchObject({ command: steps[0]!.command, args: steps[0]!.args });
  });
});

describe('locate', () => {
  it('answers tools[{ id, status, version, path }] for each name asked, in order', async () => {
    const { status, body } = await app('POST', '/api/v1/system/tools/locate', { names: ['node', 'claude-code', 'surely-not-installed-here'] });
    expect(status).toBe(200);
    const tools = body.tools as Array<Record<string, unknown>>;
    expect(tools.map((tool) => Object.keys(tool).sort())).toEqual([
      ['id', 'path', 'status', 'version'],
      ['id', 'path', 'status', 'version'],
      ['id', 'path', 'status', 'version'],
    ]);
    expect(tools[0]).toEqual({ id: 'node', status: 'installed', version: process.versions.node, path: expect.stringMatching(/node$/) });
    expect(tools[1]).toMatchObject({ id: 'claude-code', status: expect.stringMatching(/^(installed|missing)$/) });
    expect(tools[2]).toEqual({ id: 'surely-not-installed-here', status: 'missing', version: null, path: null });
  });
});

describe('directory listing', () => {
  it('lists a directory inside a target as entries of { name, type, path }', async () => {
    const { status, body } = await app('POST', '/api/v1/filesystem/list', { path: work });
    expect(status).toBe(200);
    expect(body.entries).toEqual([
      { name: 'README.md', type: 'file', path: path.join(work, 'README.md') },
      { name: 'src', type: 'directory', path: path.join(work, 'src') },
    ]);
  });

  it.each([
    ['a directory outside every target', () => path.join(tmp, 'outside')],
    ['a symlink out of the target', () => path.join(work, 'escape')],
    ['a climb out with ..', () => `${work}/../outside`],
  ])('refuses %s with 403 path_outside_target', async (_, requested) => {
    expect(await app('POST', '/api/v1/filesystem/list', { path: requested() })).toMatchObject({ status: 403, body: { error: { code: 'path_outside_target' } } });
  });
});

describe('bodyless requests, as fetch() sends them', () => {
  it('revokes a whitelist rule with a DELETE that has no body and no Content-Type', async () => {
    const { reply, resolved } = await heldUntilAnswered('/api/v1/system/commands/execute', { command: 'echo', args: ['compat-rule'], reason: 'make a rule to revoke' }, 'allow_and_whitelist');
    expect(reply.body).toMatchObject({ accepted: true });
    const ruleId = resolved.ruleId!;
    expect(await app('DELETE', `/api/v1/system/permissions/commands/${ruleId}`)).toEqual({ status: 200, body: { ruleId, deleted: true } });
    expect(await app('GET', `/api/v1/system/permissions/commands/${ruleId}`)).toMatchObject({ status: 404 });
  });

  it('terminates a run with a POST that has no body and no Content-Type', async () => {
    const events = collectEvents(ui, ['system.command.started']);
    const { reply } = await heldUntilAnswered('/api/v1/system/commands/execute', { command: 'sleep', args: ['30'], reason: 'a run to terminate' }, 'allow_once');
    const runId = String(reply.body.runId);
    await events.next('system.command.started', (data) => data.runId === runId);
    expect(await app('POST', `/api/v1/system/commands/runs/${runId}/terminate`)).toMatchObject({ status: 200, body: { runId, state: 'terminated' } });
    events.stop();
  });

  it('still refuses a text/plain body with 415', async () => {
    expect(await app('POST', '/api/v1/system/tools/locate', '{"names":["node"]}', { 'content-type': 'text/plain' })).toMatchObject({ status: 415, body: { error: { code: 'unsupported_media_type' } } });
  });
});
