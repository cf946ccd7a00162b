import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunState, RunSummary } from '../../src/contract/routes/commands.js';
import { jobStatusOf } from '../../src/contract/routes/jobs.js';
import { openDatabase, type SqliteDatabase } from '../../src/storage/database.js';
import { RunsRepository } from '../../src/storage/runs-repository.js';

const summary = (runId: string, state: RunState): RunSummary => ({
  runId,
  kind: 'command',
  state,
  status: jobStatusOf(state),
  requestId: null,
  context: null,
  recoveryHint: null,
  title: 'A run',
  reason: 'a test',
  template: { command: 'echo', args: [] },
  shell: false,
  timeoutMs: 1000,
  keepAwake: false,
  requestedBy: { kind: 'ui' },
  promptId: null,
  ruleId: null,
  decisionId: null,
  awakeLock: null,
  pid: null,
  exitCode: null,
  signal: null,
  errorCode: null,
  errorMessage: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  startedAt: null,
  endedAt: null,
  durationMs: null,
  partialOutput: false,
  stdoutBytes: 0,
  stderrBytes: 0,
});

describe('runs repository', () => {
  let db: SqliteDatabase;
  let runs: RunsRepository;
  beforeEach(() => {
    db = openDatabase(':memory:');
    runs = new RunsRepository(db);
  });
  afterEach(() => db.close());

  it('saves a run and updates it in place', () => {
    runs.save(summary('run_1', 'running'));
    runs.save({ ...summary('run_1', 'completed'), exitCode: 0 });
    expect(runs.get('run_1')).toMatchObject({ state: 'completed', exitCode: 0 });
    expect(runs.list({ limit: 10 }).runs).toHaveLength(1);
  });

  it('lists newest first in pages, and filters by state', () => {
    const states: RunState[] = ['completed', 'failed', 'completed', 'running', 'completed'];
    states.forEach((state, i) => runs.save(summary(`run_${i}`, state)));
    const first = runs.list({ limit: 2 });
    expect(first.runs.map((r) => r.runId)).toEqual(['run_4', 'run_3']);
    const second = runs.list({ limit: 2, cursor: first.nextCursor! });
    expect(second.runs.map((r) => r.runId)).toEqual(['run_2', 'run_1']);
    const last = runs.list({ limit: 2, cursor: second.nextCursor! });
    expect(last).toEqual({ runs: [expect.objectContaining({ runId: 'run_0' })], nextCursor: null });
    expect(runs.list({ limit: 10, states: ['completed'] }).runs.map((r) => r.runId)).toEqual(['run_4', 'run_2', 'run_0']);
  });

  it('refuses a cursor it did not hand out', () => {
    expect(() => runs.list({ limit: 2, cursor: 'garbage' })).toThrow(/cursor/);
  });

  it('marks every run that was live as interrupted, leaving finished ones alone', () => {
    runs.save(summary('run_done', 'completed'));
    runs.save(summary('run_live', 'running'));
    runs.save(summary('run_waiting', 'awaiting_permission'));
    const changed = runs.interruptLive('2026-01-02T00:00:00.000Z');
    expect(changed.map((r) => r.runId)).toEqual(['run_live', 'run_waiting']);
    expect(runs.get('run_live')).toMatchObject({ state: 'interrupted', endedAt: '2026-01-02T00:00:00.000Z', errorMessage: expect.any(String) });
    expect(runs.get('run_done')).toMatchObject({ state: 'completed' });
    expect(runs.interruptLive('later')).toEqual([]);
  });
});
