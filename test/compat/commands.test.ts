import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCompatBridge, type CompatBridge, type WebAppSession } from './support.js';

/*
 * Rows of ../shared/web-app-contract.md for commands: "Execute a command" and "Jobs". Each test
 * sends what the web app sends and checks only what it reads.
 */

const context = { source: 'skill', skillId: 'skill-compat', taskId: 'task-1', runId: 'app-run-1' };

/** An execute body exactly as the web app builds it: resolved values, their templates, reason, requestId, context. */
function appExecute(command: string, args: string[], extra: Record<string, unknown> = {}) {
  return { command, args, commandTemplate: command, argsTemplate: args, workingDirectory: null, reason: 'The compat suite asked.', requestId: `req-${Math.random().toString(36).slice(2)}`, context, ...extra };
}

describe('web app contract: execute a command', () => {
  let compat: CompatBridge;
  let app: WebAppSession;
  afterEach(async () => {
    app?.close();
    await compat?.dispose();
  });
  const start = async (config: Record<string, unknown> = {}) => {
    compat = await startCompatBridge({ config });
    app = await compat.session();
  };

  it('prompted allow: the request is held until the user allows, then accepted with decision source user; the job completes with its output', async () => {
    await start();
    const pending = app.execute(appExecute('echo', ['hello from the app']));
    const promptId = await app.nextPromptId();
    expect((await compat.user.answer(promptId, 'allow_once')).status).toBe(200);
    const reply = await pending;
    expect(reply.status).toBe(202);
    expect(reply.body).toMatchObject({ accepted: true, runId: expect.any(String), decision: { source: 'user', message: expect.any(String) } });
    const runId = String(reply.body.runId);
    expect((await app.jobReaches(runId)).data).toMatchObject({ status: 'completed', recoveryHint: null, kind: 'command', context });
    // wait-for-job: the outcome in one call.
    const details = await app.call('GET', `/api/v1/system/commands/runs/${runId}?waitMs=20000`);
    expect(details.body).toMatchObject({ status: 'completed', exitCode: 0, stdout: { data: 'hello from the app\n' }, stderr: { data: '' }, recoveryHint: null });
  });

  it('provenance: the context is in the prompt event, the decision event, the audit and the run, for the user\'s answer and a rule\'s', async () => {
    await start();
    const pending = app.execute(appExecute('echo', ['provenance']));
    const promptId = await app.nextPromptId();
    const created = app.events.frames.find((f) => f.type === 'permission.prompt.created' && (f.data as { promptId: string }).promptId === promptId)!;
    expect(created.data).toMatchObject({ context });
    await compat.user.answer(promptId, 'allow_and_whitelist');
    const runId = String((await pending).body.runId);
    const byRule = await app.execute(appExecute('echo', ['provenance']));
    expect(byRule.body).toMatchObject({ accepted: true, decision: { source: 'whitelist' } });
    await app.jobReaches(String(byRule.body.runId));
    await app.events.until((frames) => frames.filter((f) => f.type === 'permission.decision.recorded').length >= 2, 30_000);
    const recorded = app.events.frames.filter((f) => f.type === 'permission.decision.recorded').map((f) => f.data);
    expect(recorded).toEqual([expect.objectContaining({ decidedBy: 'user', context }), expect.objectContaining({ decidedBy: 'rule', context })]);
    const audit = await compat.user.audit();
    expect(audit.filter((d) => [runId, byRule.body.runId].includes(d.subject.id)).map((d) => [d.decidedBy, d.context])).toEqual([
      ['rule', context],
      ['user', context],
    ]);
    expect((await app.call('GET', `/api/v1/system/commands/runs/${runId}`)).body).toMatchObject({ context });
  });

  it('whitelist allow: a saved rule allows the same request at once, with decision source whitelist', async () => {
    await start();
    const first = app.execute(appExecute('echo', ['whitelisted']));
    await compat.user.answer(await app.nextPromptId(), 'allow_and_whitelist');
    expect((await first).body).toMatchObject({ accepted: true, decision: { source: 'user' } });
    const second = await app.execute(appExecute('echo', ['whitelisted']));
    expect(second.status).toBe(202);
    expect(second.body).toMatchObject({ accepted: true, decision: { source: 'whitelist', message: expect.any(String) } });
  });

  it('reject: the user refuses and the reply is accepted false with rejected_by_user', async () => {
    await start();
    const pending = app.execute(appExecute('echo', ['rejected']));
    await compat.user.answer(await app.nextPromptId(), 'reject');
    const reply = await pending;
    expect(reply.status).toBe(403);
    expect(reply.body).toMatchObject({ accepted: false, reason: { code: 'rejected_by_user', message: expect.any(String) } });
  });

  it('policy deny: a command on the deny list is refused with bridge_policy_denied, without a prompt', async () => {
    await start({ denyList: ['rm'] });
    const reply = await app.execute(appExecute('rm', ['-rf', '/tmp/never-there']));
    expect(reply.status).toBe(403);
    expect(reply.body).toMatchObject({ accepted: false, reason: { code: 'bridge_policy_denied', message: expect.any(String) } });
    expect(app.events.frames.some((f) => f.type === 'permission.prompt.created')).toBe(false);
  });

  it('prompt timeout: nobody answers and the held request is refused with permission_timeout', async () => {
    await start({ promptTimeoutMs: 300 });
    const reply = await app.execute(appExecute('echo', ['nobody answers']));
    expect(reply.status).toBe(408);
    expect(reply.body).toMatchObject({ accepted: false, reason: { code: 'permission_timeout', message: expect.any(String) } });
  });

  it('invalid request: a resolved value that is not an instance of its template is refused before any prompt', async () => {
    await start();
    const lying = await app.execute(appExecute('sh', ['-c', 'touch /tmp/x'], { commandTemplate: 'echo', argsTemplate: ['hello'] }));
    expect(lying.status).toBe(400);
    expect(lying.body).toMatchObject({ accepted: false, reason: { code: 'invalid_request' }, error: { code: 'invalid_request' } });
    const malformed = await app.execute({ args: ['no command'] });
    expect(malformed.body).toMatchObject({ accepted: false, reason: { code: 'invalid_request', message: expect.any(String) } });
    expect(app.events.frames.some((f) => f.type === 'permission.prompt.created')).toBe(false);
  });

  it('a client that goes away while held cancels nothing: the prompt stays and the run follows the answer', async () => {
    await start();
    const leaving = new AbortController();
    const pending = fetch(`${compat.bridge.baseUrl}/api/v1/system/commands/execute`, {
      method: 'POST',
      headers: app.headers,
      body: JSON.stringify(appExecute('echo', ['after the reload'])),
      signal: leaving.signal,
    }).catch((error: unknown) => error);
    const promptId = await app.nextPromptId();
    leaving.abort(); // the page reloads
    expect(await pending).toMatchObject({ name: 'AbortError' });
    expect((await compat.user.answer(promptId, 'allow_once')).body).toMatchObject({ state: 'allowed_once' });
    const created = app.jobFrames().find((f) => f.type === 'bridge.job.created')!;
    expect((await app.jobReaches(created.data.runId)).data.status).toBe('completed');
  });

  it('answers prompts sent over the event socket with the same rules as HTTP', async () => {
    await start();
    const reply = await app.execute(appExecute('echo', ['socket']), { async: true });
    const results = () => app.events.frames.filter((f) => f.type === 'prompt.resolve.result');
    app.events.socket.send(JSON.stringify({ type: 'prompt.resolve', id: 'a1', promptId: reply.body.promptId, decision: 'allow_once' }));
    app.events.socket.send('{"type":"prompt.resolve","id":"a2","promptId":"prm_x","decision":"maybe"}');
    app.events.socket.send('not json');
    await app.events.until(() => results().length === 3);
    // By default only the bridge window answers prompts (approvals.localOnly): the socket is refused too.
    const byId = (id: string | null) => results().find((f) => f.id === id);
    expect(byId('a1')).toMatchObject({ ok: false, promptId: reply.body.promptId, error: { code: 'forbidden' } });
    expect(byId('a2')).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(byId(null)).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    // The prompt is still open: the user answers it in the bridge window.
    expect((await compat.user.answer(String(reply.body.promptId), 'allow_once')).status).toBe(200);
  });

  it('respond-async: the reply comes at once with the promptId, and the job follows the answer on events', async () => {
    await start();
    const reply = await app.execute(appExecute('echo', ['async']), { async: true });
    expect(reply.status).toBe(202);
    expect(reply.headers.get('preference-applied')).toBe('respond-async');
    expect(reply.body).toMatchObject({ accepted: true, status: 'queued', promptId: expect.any(String), decision: { source: 'pending' } });
    await compat.user.answer(String(reply.body.promptId), 'allow_once');
    expect((await app.jobReaches(String(reply.body.runId))).data.status).toBe('completed');
  });
});

describe('web app contract: jobs', () => {
  let compat: CompatBridge;
  let app: WebAppSession;
  let scratch: string;
  afterEach(async () => {
    app?.close();
    await compat?.dispose();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });
  const start = async (config: Record<string, unknown> = {}) => {
    compat = await startCompatBridge({ config });
    app = await compat.session();
    scratch = await mkdtemp(path.join(os.tmpdir(), 'osloop-compat-jobs-'));
  };
  /** Executes with respond-async and has the user allow it; returns the run id. */
  const allowed = async (body: Record<string, unknown>) => {
    const reply = await app.execute(body, { async: true });
    expect(reply.body).toMatchObject({ accepted: true });
    await compat.user.answer(String(reply.body.promptId), 'allow_once');
    return String(reply.body.runId);
  };

  it('a repeated requestId returns the first job and starts nothing new', async () => {
    await start();
    const body = appExecute('echo', ['once'], { requestId: 'req-abc-123' });
    const runId = await allowed(body);
    await app.jobReaches(runId);
    const again = await app.execute(body);
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ accepted: true, runId, requestId: 'req-abc-123', duplicate: true });
    const byRequest = await app.call<{ runs: Array<{ runId: string; requestId: string }> }>('GET', '/api/v1/system/commands/runs?requestId=req-abc-123');
    expect(byRequest.body.runs).toEqual([expect.objectContaining({ runId, requestId: 'req-abc-123' })]);
    expect(app.jobFrames().filter((f) => f.type === 'bridge.job.created')).toHaveLength(1);
  });

  it('4 jobs over a limit of 2: two run, two are queued and start by themselves as slots free, with job events in order', async () => {
    await start({ maxConcurrentRuns: 2 });
    const gate = (n: number) => path.join(scratch, `go-${n}`);
    // Each job waits until its file exists: the test decides when it ends.
    const waitFor = (n: number) => appExecute('sh', ['-c', 'while [ ! -e "$0" ]; do sleep 0.05; done', gate(n)]);
    const runIds = [];
    for (let n = 0; n < 4; n++) runIds.push(await allowed(waitFor(n)));
    await app.jobReaches(runIds[0]!, 'running');
    await app.jobReaches(runIds[1]!, 'running');
    const list = await app.call<{ runs: Array<{ runId: string; status: string }> }>('GET', '/api/v1/system/commands/runs');
    const statusOf = (runId: string) => list.body.runs.find((r) => r.runId === runId)?.status;
    expect([statusOf(runIds[2]!), statusOf(runIds[3]!)]).toEqual(['queued', 'queued']);

    await writeFile(gate(0), '');
    await app.jobReaches(runIds[2]!, 'running');
    await writeFile(gate(1), '');
    await app.jobReaches(runIds[3]!, 'running');
    await writeFile(gate(2), '');
    await writeFile(gate(3), '');
    for (const runId of runIds) expect((await app.jobReaches(runId)).data.status).toBe('completed');

    for (const runId of runIds) {
      expect(app.jobFrames(runId).map((f) => `${f.type}:${f.data.status}`)).toEqual(['bridge.job.created:queued', 'bridge.job.updated:running', 'bridge.job.updated:completed']);
    }
    // Queued jobs start only when a slot frees: job 3 runs after job 1 ended, job 4 after job 2.
    const seqOf = (runId: string, status: string) => app.jobFrames(runId).find((f) => f.data.status === status)!.seq;
    expect(seqOf(runIds[2]!, 'running')).toBeGreaterThan(seqOf(runIds[0]!, 'completed'));
    expect(seqOf(runIds[3]!, 'running')).toBeGreaterThan(seqOf(runIds[1]!, 'completed'));
  });

  it('timeout hint: a job killed at its timeoutMs carries recoveryHint timeout', async () => {
    await start();
    const runId = await allowed(appExecute('sleep', ['100'], { timeoutMs: 300 }));
    expect((await app.jobReaches(runId)).data).toMatchObject({ status: 'failed', recoveryHint: 'timeout' });
    expect((await app.call('GET', `/api/v1/system/commands/runs/${runId}`)).body).toMatchObject({ state: 'timed_out', recoveryHint: 'timeout' });
  });

  it('spawn-failure hint: a job whose executable cannot start carries recoveryHint spawn_failure', async () => {
    await start();
    const runId = await allowed(appExecute(path.join(scratch, 'no-such-tool'), []));
    expect((await app.jobReaches(runId)).data).toMatchObject({ status: 'failed', recoveryHint: 'spawn_failure' });
  });

  it('restart hint: a job live when the bridge went away carries recoveryHint bridge_restart after the restart, found by requestId', async () => {
    await start();
    const marker = path.join(scratch, 'started');
    const body = appExecute('sh', ['-c', 'touch "$0"; echo started; sleep 100', marker], { requestId: 'req-restart-1' });
    const runId = await allowed(body);
    // It really ran: its output arrived (so the marker exists) before the bridge goes away.
    await app.events.until((frames) => frames.some((f) => f.type === 'system.command.stdout' && (f.data as { runId: string }).runId === runId), 30_000);
    app.close();
    await compat.restart();
    expect(existsSync(marker)).toBe(true);
    app = await compat.session();
    const byRequest = await app.call<{ runs: Array<Record<string, unknown>> }>('GET', '/api/v1/system/commands/runs?requestId=req-restart-1');
    expect(byRequest.body.runs).toEqual([expect.objectContaining({ runId, status: 'failed', recoveryHint: 'bridge_restart' })]);
    // The same request again after the reload: the first job, nothing new.
    expect((await app.execute(body)).body).toMatchObject({ accepted: true, runId, duplicate: true, recoveryHint: 'bridge_restart' });
  });

  it('bodyless terminate: fetch() sends a POST with no body and no Content-Type, and the job ends terminated', async () => {
    await start();
    const runId = await allowed(appExecute('sleep', ['100']));
    await app.jobReaches(runId, 'running');
    const { 'content-type': _json, ...noContentType } = app.headers;
    const terminated = await app.call('POST', `/api/v1/system/commands/runs/${runId}/terminate`, undefined, noContentType);
    expect(terminated).toMatchObject({ status: 200, body: { runId, state: 'terminated' } });
    expect((await app.jobReaches(runId)).data).toMatchObject({ status: 'terminated', recoveryHint: null });
  });

  it('a queued job can be terminated and never starts', async () => {
    await start({ maxConcurrentRuns: 1 });
    const busy = await allowed(appExecute('sleep', ['100']));
    await app.jobReaches(busy, 'running');
    const queued = await allowed(appExecute('sleep', ['100']));
    const { 'content-type': _json, ...noContentType } = app.headers;
    expect((await app.call('POST', `/api/v1/system/commands/runs/${queued}/terminate`, undefined, noContentType)).status).toBe(200);
    await app.jobReaches(queued);
    expect(app.jobFrames(queued).map((f) => f.data.status)).toEqual(['queued', 'terminated']);
  });
});
