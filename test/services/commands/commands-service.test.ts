import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { resolvePaths } from '../../../src/config/paths.js';
import { BridgeError } from '../../../src/contract/errors.js';
import { eventually, executeBody, startCommandsHarness, USER, type CommandsHarness } from './harness.js';

const EXECUTE = 'system.commands.execute';
const GET = 'system.commands.runs.get';
const RESOLVE = 'system.permissions.prompts.resolve';

describe('commands service', () => {
  let harness: CommandsHarness;
  afterEach(async () => {
    await harness?.stop();
  });

  /** Executes, allows once, and waits until the fake process was started. */
  async function startedRun(command = 'tool', args: string[] = []) {
    const reply = await harness.call<{ runId: string; promptId: string }>(EXECUTE, { body: executeBody(command, args) });
    await harness.call(RESOLVE, { params: { requestId: reply.promptId }, body: { decision: 'allow_once' } });
    const run = await eventually(() => harness.runner.processes.find((p) => p.spec.command === command && !p.exited));
    return { runId: reply.runId, process: run };
  }

  it('announces the capability as available', async () => {
    harness = await startCommandsHarness();
    expect(harness.capabilities.list().find((c) => c.id === 'command_permissions')).toEqual({ id: 'command_permissions', available: true });
  });

  it('refuses a run with 429 rate_limited only when every slot is taken and the queue is full', async () => {
    harness = await startCommandsHarness({ config: { maxConcurrentRuns: 1, maxQueuedRuns: 1 } });
    await startedRun('first');
    const second = await harness.call<{ runId: string; promptId: string }>(EXECUTE, { body: executeBody('second') });
    await harness.call(RESOLVE, { params: { requestId: second.promptId }, body: { decision: 'allow_once' } });
    await eventually(async () => (await harness.call<{ state: string }>(GET, { params: { runId: second.runId } })).state === 'queued');
    await expect(harness.call(EXECUTE, { body: executeBody('third') })).rejects.toMatchObject({ code: 'rate_limited', details: { maxConcurrentRuns: 1, maxQueuedRuns: 1, retryAfterMs: expect.any(Number) } });
  });

  it('refuses a working directory that does not exist, naming the template value only', async () => {
    harness = await startCommandsHarness();
    const body = executeBody('ls', [], { workingDirectory: '/nonexistent/s3cret', workingDirectoryTemplate: '/nonexistent/__OSL_SECRET[d]__' });
    const failure = await harness.call(EXECUTE, { body }).catch((error: BridgeError) => error);
    expect(failure).toMatchObject({ code: 'invalid_request', details: { field: 'workingDirectory' } });
    expect((failure as BridgeError).message).toContain('__OSL_SECRET[d]__');
    expect((failure as BridgeError).message).not.toContain('s3cret');
  });

  it('runs the resolved values in the child, with the login PATH and the request env on top', async () => {
    harness = await startCommandsHarness();
    const body = executeBody('tool', ['s3cret'], { env: { TOKEN: 's3cret' }, argsTemplate: ['__OSL_SECRET[a]__'], envTemplate: { TOKEN: '__OSL_SECRET[t]__' } });
    const reply = await harness.call<{ promptId: string }>(EXECUTE, { body });
    await harness.call(RESOLVE, { params: { requestId: reply.promptId }, body: { decision: 'allow_once' } });
    const fake = await eventually(() => harness.runner.processes[0]);
    expect(fake.spec).toMatchObject({ command: 'tool', args: ['s3cret'], shell: false, env: expect.objectContaining({ TOKEN: 's3cret', PATH: process.env.PATH }) });
  });

  it('hands a child the environment the bridge started with, without any variable holding its UI token', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'osloop-child-env-'));
    // After afterEach has stopped the harness: a given home is the test's to remove.
    onTestFinished(() => rm(home, { recursive: true, force: true }));
    const token = 'ui-token-known-to-the-launcher';
    const { uiTokenFile } = resolvePaths({ OSLOOP_BRIDGE_HOME: home });
    await mkdir(path.dirname(uiTokenFile), { recursive: true });
    await writeFile(uiTokenFile, `${token}\n`);
    process.env.LAUNCHER_TOKEN_COPY = `Bearer ${token}`;
    process.env.LAUNCHER_SETTING = 'kept';
    try {
      harness = await startCommandsHarness({ home });
      process.env.SET_AFTER_START = 'too late';
      await startedRun('tool');
      const { env } = harness.runner.processes[0]!.spec;
      expect(env).toMatchObject({ LAUNCHER_SETTING: 'kept' });
      expect(Object.keys(env)).not.toContain('LAUNCHER_TOKEN_COPY');
      expect(Object.keys(env)).not.toContain('SET_AFTER_START');
    } finally {
      for (const name of ['LAUNCHER_TOKEN_COPY', 'LAUNCHER_SETTING', 'SET_AFTER_START']) delete process.env[name];
    }
  });

  it('streams output as events with contiguous offsets, carrying a split character whole', async () => {
    harness = await startCommandsHarness();
    const { runId, process } = await startedRun();
    const euro = Buffer.from('\u20ac');
    process.write('stdout', Buffer.concat([Buffer.from('a'), euro.subarray(0, 1)]));
    process.write('stdout', euro.subarray(1));
    process.write('stderr', 'oops');
    process.exit({ exitCode: 0 });
    const run = await harness.call<Record<string, unknown>>(GET, { params: { runId }, query: { waitMs: 5_000 } });
    expect(run).toMatchObject({ state: 'completed', stdout: { data: 'a\u20ac', totalBytes: 4 }, stderr: { data: 'oops' } });
    const chunks = harness.events.filter((e) => e.type === 'system.command.stdout').map((e) => e.data);
    expect(chunks).toEqual([
      { runId, offset: 0, bytes: 2, chunk: 'a' },
      { runId, offset: 2, bytes: 2, chunk: '\u20ac' },
    ]);
  });

  it('answers a wait with the run as stored at its end, the same as a later read of the ended run', async () => {
    harness = await startCommandsHarness();
    const { runId, process } = await startedRun('tool', ['--flag']);
    process.write('stdout', 'done\n');
    const waiting = harness.call<Record<string, unknown>>(GET, { params: { runId }, query: { waitMs: 5_000 } });
    // The in-process bus delivers in microtasks: by the next macrotask the route is waiting.
    await new Promise((resolve) => setImmediate(resolve));
    process.exit({ exitCode: 3 });
    const waited = await waiting;
    expect(waited).toMatchObject({ state: 'failed', exitCode: 3, stdoutBytes: 5, stdout: { data: 'done\n' } });
    // The actor has ended: this read is the row SQLite holds.
    expect(await harness.call(GET, { params: { runId } })).toEqual(waited);
  });

  it('lists a live run with its live output counters and an ended one as its row holds it', async () => {
    harness = await startCommandsHarness();
    const ended = await startedRun('first');
    ended.process.write('stdout', 'one\n');
    ended.process.exit({ exitCode: 0 });
    const endedRun = await harness.call(GET, { params: { runId: ended.runId }, query: { waitMs: 5_000 } });
    const live = await startedRun('second');
    live.process.write('stdout', 'so far\n');
    const { runs } = await harness.call<{ runs: Array<Record<string, unknown>> }>('system.commands.runs.list', {});
    expect(runs.map((run) => [run.runId, run.state, run.stdoutBytes])).toEqual([
      [live.runId, 'running', 7],
      [ended.runId, 'completed', 4],
    ]);
    const { stdout: _stdout, stderr: _stderr, interleaving: _interleaving, ...endedSummary } = endedRun;
    expect(runs[1]).toEqual(endedSummary);
    live.process.exit({ exitCode: 0 });
  });

  it('marks partial output past the buffer cap while events keep carrying everything', async () => {
    harness = await startCommandsHarness({ config: { outputBufferBytes: 1024 } });
    const { runId, process } = await startedRun();
    for (let i = 0; i < 3; i++) process.write('stdout', 'x'.repeat(1000));
    const live = await harness.call<Record<string, unknown>>(GET, { params: { runId } });
    expect(live).toMatchObject({ state: 'running', partialOutput: true, stdoutBytes: 3000, stdout: { bufferedBytes: 1024, totalBytes: 3000 } });
    process.exit({ exitCode: 0 });
    const done = await harness.call<Record<string, unknown>>(GET, { params: { runId }, query: { waitMs: 5_000 } });
    expect(done).toMatchObject({ partialOutput: true, stdoutBytes: 3000 });
    const streamed = harness.events.filter((e) => e.type === 'system.command.stdout').reduce((sum, e) => sum + Number(e.data.bytes), 0);
    expect(streamed).toBe(3000);
  });

  it('fails a run whose executable cannot be started, without quoting its arguments', async () => {
    harness = await startCommandsHarness();
    harness.runner.spawnError = 'ENOENT';
    const { runId } = await harness
      .call<{ runId: string; promptId: string }>(EXECUTE, { body: executeBody('missing', ['--flag']) })
      .then(async (reply) => {
        await harness.call(RESOLVE, { params: { requestId: reply.promptId }, body: { decision: 'allow_once' } });
        return reply;
      });
    const run = await harness.call<Record<string, unknown>>(GET, { params: { runId }, query: { waitMs: 5_000 } });
    expect(run).toMatchObject({ state: 'failed', pid: null, errorMessage: 'Could not start "missing": ENOENT' });
  });

  it('interrupts its live runs when the bridge announces it is stopping', async () => {
    harness = await startCommandsHarness();
    const { runId, process } = await startedRun();
    harness.bus.publish(harness.subjects.event('bridge.stopping'), { bridgeId: 'test', reason: 'test' });
    const run = await harness.call<Record<string, unknown>>(GET, { params: { runId }, query: { waitMs: 5_000 } });
    expect(run).toMatchObject({ state: 'interrupted' });
    expect(process.kills).toHaveLength(1);
  });
});

describe('commands.start on the bus', () => {
  let harness: CommandsHarness;
  afterEach(async () => {
    await harness?.stop();
  });

  const start = (body: Record<string, unknown>) => harness.bus.request<Record<string, unknown>>(harness.subjects.internal('commands.start'), body);

  it('starts an install run that always prompts, with the id asked for', async () => {
    harness = await startCommandsHarness();
    const reply = await start({ ...executeBody('apt-get', ['install', 'jq']), requestedBy: USER, subjectKind: 'install', whitelistAllowed: true, runId: 'install_1' });
    expect(reply).toMatchObject({ runId: 'install_1', state: 'awaiting_permission', promptId: expect.any(String) });
    const created = harness.events.find((e) => e.type === 'permission.prompt.created');
    expect(created?.data).toMatchObject({ kind: 'install', subjectId: 'install_1', whitelistAllowed: false });
    await expect(start({ ...executeBody('apt-get'), requestedBy: USER, subjectKind: 'install', whitelistAllowed: false, runId: 'install_1' })).rejects.toMatchObject({ code: 'conflict' });
  });

  it.each([
    ['no requestedBy', { subjectKind: 'command', whitelistAllowed: true }],
    ['an unknown kind', { requestedBy: USER, subjectKind: 'mcp_server', whitelistAllowed: true }],
    ['an id that is not subject-safe', { requestedBy: USER, subjectKind: 'command', whitelistAllowed: true, runId: 'a.b' }],
  ])('refuses a request with %s as invalid_request', async (_, extra) => {
    harness = await startCommandsHarness();
    await expect(start({ ...executeBody('ls'), ...extra })).rejects.toMatchObject({ code: 'invalid_request' });
  });
});
