import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunState } from '../../src/contract/routes/commands.js';
import { openDatabase, type SqliteDatabase } from '../../src/storage/database.js';
import { InstallJobsRepository, type StoredInstallJob } from '../../src/storage/install-jobs-repository.js';
import { runSummary } from '../support/run-summary.js';

const job = (runId: string, state: RunState, options: { startedAt?: string | null; createdAt?: string; origin?: string } = {}): StoredInstallJob => ({
  toolId: 'jq',
  details: {
    ...runSummary(runId, state, {
      kind: 'install',
      title: 'Install jq',
      template: { command: 'apt-get', args: ['install', 'jq'] },
      requestedBy: { kind: 'session', origin: options.origin ?? 'https://app.example', sessionId: 'ses_1' },
      createdAt: options.createdAt ?? '2026-01-01T00:00:00.000Z',
      startedAt: options.startedAt ?? null,
    }),
    stdout: null,
    stderr: null,
    interleaving: null,
  },
  reply: { refused: { code: 'rejected_by_user', message: 'no', details: { runId } } },
});

const LONG_AGO = '2025-01-01T00:00:00.000Z';

describe('install jobs repository', () => {
  let db: SqliteDatabase;
  let jobs: InstallJobsRepository;
  beforeEach(() => {
    db = openDatabase(':memory:');
    jobs = new InstallJobsRepository(db);
  });
  afterEach(() => db.close());

  it('finds a job by id and by requestId of its own origin only', () => {
    jobs.add(job('inst_1', 'running'), 'https://app.example', 'req-1', LONG_AGO);
    expect(jobs.get('inst_1', LONG_AGO)?.details.state).toBe('running');
    expect(jobs.byRequest('https://app.example', 'req-1', LONG_AGO)?.details.runId).toBe('inst_1');
    expect(jobs.byRequest('https://other.example', 'req-1', LONG_AGO)).toBeUndefined();
  });

  it('forgets jobs older than the retention window', () => {
    jobs.add(job('inst_old', 'completed', { createdAt: '2026-01-01T00:00:00.000Z' }), 'https://app.example', 'req-1', LONG_AGO);
    expect(jobs.byRequest('https://app.example', 'req-1', '2026-01-02T00:00:00.000Z')).toBeUndefined();
    expect(jobs.get('inst_old', '2026-01-02T00:00:00.000Z')).toBeUndefined();
    // A later add deletes it for good.
    jobs.add(job('inst_new', 'completed', { createdAt: '2026-01-03T00:00:00.000Z' }), 'https://app.example', 'req-1', '2026-01-02T00:00:00.000Z');
    expect(jobs.get('inst_old', LONG_AGO)).toBeUndefined();
    expect(jobs.byRequest('https://app.example', 'req-1', LONG_AGO)?.details.runId).toBe('inst_new');
  });

  it('ends live jobs as interrupted: bridge_restart once a step started, spawn_failure before; final ones untouched', () => {
    jobs.add(job('inst_running', 'running', { startedAt: '2026-01-01T00:00:01.000Z' }), 'ui', null, LONG_AGO);
    jobs.add(job('inst_waiting', 'awaiting_permission'), 'ui', null, LONG_AGO);
    jobs.add(job('inst_done', 'completed', { startedAt: '2026-01-01T00:00:01.000Z' }), 'ui', null, LONG_AGO);
    const changed = jobs.interruptLive('2026-01-01T00:01:00.000Z');
    expect(changed.map((j) => [j.details.runId, j.details.state, j.details.recoveryHint])).toEqual([
      ['inst_running', 'interrupted', 'bridge_restart'],
      ['inst_waiting', 'interrupted', 'spawn_failure'],
    ]);
    expect(jobs.get('inst_running', LONG_AGO)?.details).toMatchObject({ status: 'failed', endedAt: '2026-01-01T00:01:00.000Z' });
    expect(jobs.get('inst_done', LONG_AGO)?.details).toMatchObject({ state: 'completed', recoveryHint: null });
    expect(jobs.interruptLive('2026-01-01T00:02:00.000Z')).toEqual([]);
  });
});
