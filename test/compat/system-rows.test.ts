import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCompatBridge, type CompatBridge, type Reply, type WebAppSession } from './support.js';

/*
 * The rows of ../shared/web-app-contract.md for installs, locate, directory listing and bodyless
 * requests: the web app's requests in its shapes, plain fetch() with its session token, and only
 * what it reads from the replies and its own event socket. The person at the machine answers in
 * the bridge's own window.
 */

let tmp: string;
let work: string;
let compat: CompatBridge;
let app: WebAppSession;

beforeAll(async () => {
  tmp = await realpath(await mkdtemp(path.join(os.tmpdir(), 'compat-system-')));
  work = path.join(tmp, 'work');
  await mkdir(path.join(work, 'src'), { recursive: true });
  await mkdir(path.join(tmp, 'outside'));
  await writeFile(path.join(work, 'README.md'), '# project');
  await writeFile(path.join(tmp, 'outside', 'secret.txt'), 'secret');
  await symlink(path.join(tmp, 'outside'), path.join(work, 'escape'));
  // The real catalogue and the login-shell PATH, as a user's bridge has them.
  compat = await startCompatBridge({ config: { commandPath: 'login_shell', filesystem: { roots: [{ path: work, access: 'read-write' }] } } });
  app = await compat.session();
});
afterAll(async () => {
  app.close();
  await compat.dispose();
  await rm(tmp, { recursive: true, force: true });
});

/** What fetch() sends for a request with no body: the token and the origin, no Content-Type. */
const bodyless = () => Object.fromEntries(Object.entries(app.headers).filter(([name]) => name.toLowerCase() !== 'content-type'));

/** Sends a held request, answers its prompt in the bridge window once it is open, and returns the reply and the prompt. */
async function heldUntilAnswered(route: string, body: Record<string, unknown>, decision: 'allow_once' | 'allow_and_whitelist' | 'reject') {
  const seen = app.events.frames.length;
  const reply = app.call('POST', route, body);
  const promptId = await app.nextPromptId(seen);
  const prompt = app.events.frames.find((f) => f.type === 'permission.prompt.created' && (f.data as { promptId: string }).promptId === promptId)!.data as Record<string, unknown>;
  const answered = await compat.user.answer(promptId, decision);
  return { reply: await reply, prompt, answered };
}

describe('installs', () => {
  it('install of claude-code, rejected by the user: accepted false, rejected_by_user, and nothing ran', async () => {
    const { reply, prompt } = await heldUntilAnswered('/api/v1/system/tools/install', { toolId: 'claude-code', reason: 'The skill needs Claude Code', requestId: 'req-install-claude' }, 'reject');
    expect(reply.status).toBe(403);
    expect(reply.body).toMatchObject({ accepted: false, reason: { code: 'rejected_by_user', message: expect.any(String) } });
    expect(prompt).toMatchObject({ kind: 'install', whitelistAllowed: false, details: { tool: 'claude-code', steps: [{ command: 'npm', args: ['install', '--global', '@anthropic-ai/claude-code'] }] } });

    // The web app follows the job on its socket: created, then failed; no command ever started.
    const installId = (prompt.details as { installId: string }).installId;
    expect(await app.jobReaches(installId)).toMatchObject({ data: { kind: 'install', status: 'failed', summary: { toolId: 'claude-code' }, recoveryHint: null } });
    expect(app.jobFrames(installId).map((frame) => [frame.type, frame.data.status])).toEqual([
      ['bridge.job.created', 'queued'],
      ['bridge.job.updated', 'failed'],
    ]);
    expect(app.events.frames.filter((frame) => frame.type === 'system.command.started')).toEqual([]);
    const runs = (await app.call<{ runs: Array<{ kind: string }> }>('GET', '/api/v1/system/commands/runs?limit=500')).body.runs;
    expect(runs.filter((run) => run.kind === 'install')).toEqual([]);
    // The job is found again by its id and by its requestId.
    expect((await app.call('GET', `/api/v1/system/commands/runs/${installId}`)).body).toMatchObject({ runId: installId, kind: 'install', status: 'failed', errorCode: 'rejected_by_user' });
    expect((await app.call<{ runs: Array<{ runId: string }> }>('GET', '/api/v1/system/commands/runs?requestId=req-install-claude')).body.runs.map((run) => run.runId)).toEqual([installId]);
  });

  it('the install prompt lists every step of the recipe, exactly as each would run', async () => {
    // jq here resolves to apt's two steps (update, then install).
    const resolved = (await app.call<{ status: string; steps: Array<{ command: string; args: string[] }> }>('POST', '/api/v1/system/tools/recipes/resolve', { tool: 'jq' })).body;
    expect(resolved.status).toBe('resolved');
    expect(resolved.steps.length).toBeGreaterThan(1);
    const { reply, prompt } = await heldUntilAnswered('/api/v1/system/tools/install', { toolId: 'jq', reason: 'The skill parses JSON' }, 'reject');
    expect(reply.body).toMatchObject({ accepted: false, reason: { code: 'rejected_by_user' } });
    expect((prompt.details as { steps: unknown }).steps).toEqual(resolved.steps);
    expect(prompt.template).toMatchObject({ command: resolved.steps[0]!.command, args: resolved.steps[0]!.args });
  });
});

describe('locate', () => {
  it('answers tools[{ id, status, version, path }] for each name asked, in order', async () => {
    const { status, body } = await app.call<{ tools: Array<Record<string, unknown>> }>('POST', '/api/v1/system/tools/locate', { names: ['node', 'claude-code', 'surely-not-installed-here'] });
    expect(status).toBe(200);
    expect(body.tools.map((tool) => Object.keys(tool).sort())).toEqual(Array(3).fill(['id', 'path', 'status', 'version']));
    expect(body.tools[0]).toEqual({ id: 'node', status: 'installed', version: expect.stringMatching(/^\d+\.\d+/), path: expect.stringMatching(/node$/) });
    expect(body.tools[1]).toMatchObject({ id: 'claude-code', status: expect.stringMatching(/^(installed|missing)$/) });
    expect(body.tools[2]).toEqual({ id: 'surely-not-installed-here', status: 'missing', version: null, path: null });
  });
});

describe('directory listing', () => {
  it('lists a directory inside a target as entries of { name, type, path }', async () => {
    const { status, body } = await app.call('POST', '/api/v1/filesystem/list', { path: work });
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
    expect(await app.call('POST', '/api/v1/filesystem/list', { path: requested() })).toMatchObject({ status: 403, body: { error: { code: 'path_outside_target' } } });
  });
});

describe('bodyless requests, as fetch() sends them', () => {
  it('revokes a whitelist rule with a DELETE that has no body and no Content-Type', async () => {
    const { reply, answered } = await heldUntilAnswered('/api/v1/system/commands/execute', { command: 'echo', args: ['compat-rule'], reason: 'make a rule to revoke' }, 'allow_and_whitelist');
    expect(reply.body).toMatchObject({ accepted: true });
    const ruleId = String((answered as Reply).body.ruleId);
    expect(await app.call('DELETE', `/api/v1/system/permissions/commands/${ruleId}`, undefined, bodyless())).toMatchObject({ status: 200, body: { ruleId, deleted: true } });
    expect(await app.call('GET', `/api/v1/system/permissions/commands/${ruleId}`, undefined, bodyless())).toMatchObject({ status: 404 });
  });

  it('terminates a run with a POST that has no body and no Content-Type', async () => {
    const { reply } = await heldUntilAnswered('/api/v1/system/commands/execute', { command: 'sleep', args: ['30'], reason: 'a run to terminate' }, 'allow_once');
    const runId = String(reply.body.runId);
    await app.jobReaches(runId, 'running');
    expect(await app.call('POST', `/api/v1/system/commands/runs/${runId}/terminate`, undefined, bodyless())).toMatchObject({ status: 200, body: { runId, state: 'terminated' } });
  });

  it('still refuses a text/plain body with 415', async () => {
    const response = await fetch(`${compat.bridge.baseUrl}/api/v1/system/tools/locate`, { method: 'POST', headers: { ...bodyless(), 'content-type': 'text/plain' }, body: '{"names":["node"]}' });
    expect(response.status).toBe(415);
    expect(await response.json()).toMatchObject({ error: { code: 'unsupported_media_type' } });
  });
});

describe('install jobs across a bridge restart', () => {
  const recipesFile = path.resolve(import.meta.dirname, '../fixtures/install-restart-recipes.json');
  let restarting: CompatBridge;
  let session: WebAppSession;
  beforeAll(async () => {
    restarting = await startCompatBridge({ config: { commandPath: 'inherited', system: { recipesFile } } });
    session = await restarting.session();
  });
  afterAll(async () => {
    session.close();
    await restarting.dispose();
  });

  it('the same requestId after a restart answers the first install; a live one reads ended with bridge_restart, an unanswered one spawn_failure, a rejected one still rejected', async () => {
    const install = (toolId: string, requestId: string) => session.call('POST', '/api/v1/system/tools/install', { toolId, reason: 'restart row', requestId }, { ...session.headers, prefer: 'respond-async' });
    // Rejected by the user.
    const rejectedReply = await install('osloop-waiting', 'req-restart-rejected');
    await restarting.user.answer(String(rejectedReply.body.promptId), 'reject');
    const rejectedId = String(rejectedReply.body.runId);
    await session.jobReaches(rejectedId);
    // Allowed, and its step runs when the bridge goes away.
    const runningReply = await install('osloop-waiting', 'req-restart-running');
    const runningId = String(runningReply.body.runId);
    await restarting.user.answer(String(runningReply.body.promptId), 'allow_once');
    await session.events.until((frames) => frames.some((f) => f.type === 'system.tool.install_output' && JSON.stringify(f.data).includes('installing osloop-waiting')), 30_000);
    // Never answered: nothing of it ran.
    const waitingReply = await install('osloop-waiting', 'req-restart-waiting');
    const waitingId = String(waitingReply.body.runId);
    expect(waitingReply.body).toMatchObject({ accepted: true, status: 'queued', decision: { source: 'pending' } });

    session.close();
    await restarting.restart();
    session = await restarting.session();

    const details = async (runId: string) => (await session.call('GET', `/api/v1/system/commands/runs/${runId}`)).body;
    expect(await details(runningId)).toMatchObject({ runId: runningId, kind: 'install', state: 'interrupted', status: 'failed', recoveryHint: 'bridge_restart', requestId: 'req-restart-running' });
    expect(await details(waitingId)).toMatchObject({ runId: waitingId, kind: 'install', state: 'interrupted', status: 'failed', recoveryHint: 'spawn_failure' });
    expect(await details(rejectedId)).toMatchObject({ runId: rejectedId, kind: 'install', status: 'failed', errorCode: 'rejected_by_user' });
    const byRequest = await session.call<{ runs: Array<Record<string, unknown>> }>('GET', '/api/v1/system/commands/runs?requestId=req-restart-running');
    expect(byRequest.body.runs).toEqual([expect.objectContaining({ runId: runningId, kind: 'install', recoveryHint: 'bridge_restart' })]);

    // The same requests again: the first jobs, and no new prompt or install.
    const seen = session.events.frames.length;
    expect((await install('osloop-waiting', 'req-restart-running')).body).toMatchObject({ accepted: true, runId: runningId, duplicate: true, status: 'failed', recoveryHint: 'bridge_restart' });
    expect((await install('osloop-waiting', 'req-restart-waiting')).body).toMatchObject({ accepted: true, runId: waitingId, duplicate: true, recoveryHint: 'spawn_failure' });
    expect(await install('osloop-waiting', 'req-restart-rejected')).toMatchObject({ status: 403, body: { accepted: false, reason: { code: 'rejected_by_user' } } });
    expect(session.events.frames.slice(seen).filter((f) => f.type === 'permission.prompt.created' || f.type === 'bridge.job.created')).toEqual([]);
  });
});
