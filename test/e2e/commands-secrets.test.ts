import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subjectsFor } from '../../src/bus/subjects.js';
import { startApi, type Api } from './commands-support.js';

const MARKER = 'MARKER-7f3c9a1e';

/**
 * The bridge is secret-unaware: resolved values reach the child process and nothing else. The
 * only place a secret may show up again is what the process itself printed.
 */
describe('resolved secrets end to end', () => {
  let api: Api;
  const busMessages: Array<{ subject: string; data: unknown }> = [];
  let runId = '';
  let failedRunId = '';

  beforeAll(async () => {
    api = await startApi({ config: { commandPath: 'inherited' } });
    const subjects = subjectsFor(api.bridge.bridgeId);
    // Actor transitions and contract events: what the inspector, the UI and NATS observers see.
    for (const pattern of [subjects.allActors, subjects.allEvents]) {
      api.bridge.bus.subscribe(pattern, (message) => void busMessages.push({ subject: message.subject, data: message.data }));
    }

    const script = 'echo "env=$SECRET_VAR arg=$1"';
    const execute = await api.execute('sh', ['-c', script, 'sh', `${MARKER}-arg`], {
      env: { SECRET_VAR: `${MARKER}-env` },
      argsTemplate: ['-c', script, 'sh', '__OSL_SECRET[arg]__'],
      envTemplate: { SECRET_VAR: '__OSL_SECRET[env]__' },
    });
    runId = String(execute.body.runId);
    // `sh -c` can never become a rule (issue 17): allowed once.
    await api.resolve(String(execute.body.promptId), 'allow_once');
    await api.waitRun(runId);

    // A run that cannot start must not quote its resolved command in its error either.
    const failing = await api.execute(`/nonexistent/${MARKER}`, [], { commandTemplate: '/nonexistent/__OSL_SECRET[path]__' });
    failedRunId = String(failing.body.runId);
    await api.resolve(String(failing.body.promptId), 'allow_once');
    await api.waitRun(failedRunId);
  });
  afterAll(async () => {
    await api?.bridge.close();
  });

  it('shows the marker in that run\'s own stdout buffer and stdout events, as the process printed it', async () => {
    const run = await api.call('GET', `/api/v1/system/commands/runs/${runId}`);
    expect(run.body).toMatchObject({ state: 'completed', stdout: { data: `env=${MARKER}-env arg=${MARKER}-arg\n` } });
    const stdoutEvents = busMessages.filter((m) => m.subject.endsWith('.event.system.command.stdout'));
    expect(stdoutEvents.some((m) => JSON.stringify(m.data).includes(MARKER))).toBe(true);
  });

  it('keeps it out of every other event and every actor transition on the bus', () => {
    const leaks = busMessages.filter((m) => !m.subject.endsWith('.event.system.command.stdout') && JSON.stringify(m.data).includes(MARKER));
    expect(leaks.map((m) => m.subject)).toEqual([]);
  });

  it('keeps it out of the run listing, the run details, the rules, the prompts and the decision audit', async () => {
    const run = await api.call<Record<string, unknown>>('GET', `/api/v1/system/commands/runs/${runId}`);
    const { stdout: _printed, ...rest } = run.body;
    const failed = await api.call('GET', `/api/v1/system/commands/runs/${failedRunId}`);
    expect(failed.body).toMatchObject({ state: 'failed', errorMessage: expect.stringContaining('__OSL_SECRET[path]__') });
    for (const body of [
      rest,
      failed.body,
      (await api.call('GET', '/api/v1/system/commands/runs')).body,
      (await api.call('GET', '/api/v1/system/permissions/commands')).body,
      (await api.call('GET', '/api/v1/ui/decisions', undefined, { ui: true })).body,
      (await api.call('GET', '/api/v1/ui/actors', undefined, { ui: true })).body,
      (await api.call('GET', '/api/v1/ui/connections', undefined, { ui: true })).body,
    ]) {
      expect(JSON.stringify(body)).not.toContain(MARKER);
    }
  });

  it('keeps it out of the logs and out of every file in the data directory (SQLite file and WAL included)', () => {
    expect(api.bridge.logs.length).toBeGreaterThan(0);
    expect(api.bridge.logs.join('')).not.toContain(MARKER);
    const files = readdirSync(api.bridge.paths.dataDir, { recursive: true, encoding: 'utf8' }).filter((file) => statSync(path.join(api.bridge.paths.dataDir, file)).isFile());
    expect(files).toEqual(expect.arrayContaining(['bridge.db', 'bridge.db-wal']));
    for (const file of files) {
      expect({ file, leaked: readFileSync(path.join(api.bridge.paths.dataDir, file)).includes(MARKER) }).toEqual({ file, leaked: false });
    }
    // The template is what was stored.
    expect(readFileSync(path.join(api.bridge.paths.dataDir, 'bridge.db-wal')).includes('__OSL_SECRET[env]__')).toBe(true);
  });
});

describe('the child environment', () => {
  it('is the one the bridge started with, without the bridge\'s own variables or its UI token', async () => {
    // As a launcher exports them before starting the bridge: the bridge must still not pass them on.
    process.env.OSLOOP_EXAMPLE_SETTING = 'bridge-only';
    process.env.LAUNCHER_SETTING = 'inherited';
    let api: Awaited<ReturnType<typeof startApi>> | undefined;
    try {
      api = await startApi({ config: { commandPath: 'inherited' } });
      // Set once the bridge runs (nothing outside a process can do this to the daemon): not inherited.
      process.env.SET_AFTER_START = 'too-late';
      const execute = await api.execute('env', [], { env: { ASKED_FOR: 'yes' } });
      await api.resolve(String(execute.body.promptId), 'allow_once');
      const run = await api.waitRun(String(execute.body.runId));
      const printed = String((run.body.stdout as { data: string }).data);
      expect(printed).toContain('ASKED_FOR=yes');
      expect(printed).toContain('LAUNCHER_SETTING=inherited');
      expect(printed).toContain('PATH=');
      expect(printed).not.toMatch(/^OSLOOP_/m);
      expect(printed).not.toContain('SET_AFTER_START');
      expect(printed).not.toContain(api.bridge.uiToken);
    } finally {
      for (const name of ['OSLOOP_EXAMPLE_SETTING', 'LAUNCHER_SETTING', 'SET_AFTER_START']) delete process.env[name];
      await api?.bridge.close();
    }
  });
});
