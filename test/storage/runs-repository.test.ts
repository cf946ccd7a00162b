import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunState } from '../../src/contract/routes/commands.js';
import { openDatabase, type SqliteDatabase } from '../../src/storage/database.js';
import { RunsRepository } from '../../src/storage/runs-repository.js';
import { runSummary } from '../support/run-summary.js';

describe('runs repository', () => {
  let db: SqliteDatabase;
  let runs: RunsRepository;
  beforeEach(() => {
    db = openDatabase(':memory:');
    runs = new RunsRepository(db);
  });
  afterEach(() => db.close());

  it('saves a run and updates it in place', () => {
    runs.save(runSummary('run_1', 'running'));
    runs.save({ ...runSummary('run_1', 'completed'), exitCode: 0 });
    expect(runs.get('run_1')).toMatchObject({ state: 'completed', exitCode: 0 });
    expect(runs.list({ limit: 10 }).runs).toHaveLength(1);
  });

  it('lists newest first in pages, and filters by state', () => {
    const states: RunState[] = ['completed', 'failed', 'completed', 'running', 'completed'];
    states.forEach((state, i) => runs.save(runSummary(`run_${i}`, state)));
    const first = runs.list({ limit: 2 });
    expect(first.runs.map((r) => r.runId)).toEqual(['run_4', 'run_3']);
    const second = runs.list({ limit: 2, cursor: first.nextCursor! });
    expect(second.runs.map((r) => r.runId)).toEqual(['run_2', 'run_1']);
    const last = runs.list({ limit: 2, cursor: second.nextCursor! });
    expect(last).toEqual({ runs: [expect.objectContaining({ runId: 'run_0' })], nextCursor: null });
    expect(runs.list({ limit: 10, states: ['completed'] }).runs.map((r) => r.runId)).toEqual(['run_4', 'run_2', 'run_0']);
  });

  it('gives a run stored before jobs existed the job fields, and returns a run that has them as stored', () => {
    const { status: _status, requestId: _requestId, context: _context, recoveryHint: _hint, ...beforeJobs } = runSummary('run_old', 'failed');
    db.prepare('INSERT INTO runs (run_id, state, created_at, summary) VALUES (?, ?, ?, ?)').run('run_old', 'failed', beforeJobs.createdAt, JSON.stringify(beforeJobs));
    const current = { ...runSummary('run_new', 'completed'), requestId: 'req-1', recoveryHint: 'timeout' as const };
    runs.save(current);
    const upgraded = { ...beforeJobs, status: 'failed', requestId: null, context: null, recoveryHint: null };
    expect(runs.get('run_old')).toEqual(upgraded);
    expect(runs.get('run_new')).toEqual(current);
    expect(runs.list({ limit: 10 }).runs).toEqual([current, upgraded]);
  });

  it('refuses a cursor it did not hand out', () => {
    expect(() => runs.list({ limit: 2, cursor: 'garbage' })).toThrow(/cursor/);
  });

  it('marks every run that was live as interrupted, leaving finished ones alone', () => {
    runs.save(runSummary('run_done', 'completed'));
    runs.save(runSummary('run_live', 'running'));
    runs.save(runSummary('run_waiting', 'awaiting_permission'));
    const changed = runs.interruptLive('2026-01-02T00:00:00.000Z');
    expect(changed.map((r) => r.runId)).toEqual(['run_live', 'run_waiting']);
    expect(runs.get('run_live')).toMatchObject({ state: 'interrupted', endedAt: '2026-01-02T00:00:00.000Z', errorMessage: expect.any(String) });
    expect(runs.get('run_done')).toMatchObject({ state: 'completed' });
    expect(runs.interruptLive('later')).toEqual([]);
  });
});
