import { FINAL_RUN_STATES, type RunState, type RunSummary } from '../contract/routes/commands.js';
import { jobStatusOf, type RecoveryHint } from '../contract/routes/jobs.js';
import { principalScope, type Principal } from '../contract/principal.js';
import type { SqliteDatabase } from './database.js';
import { decodeCursor, pageOf } from './cursor.js';
import { DocumentTable } from './document-table.js';
import { StatementCache } from './statement-cache.js';

export interface RunPage {
  runs: RunSummary[];
  nextCursor: string | null;
}

/** Which runs a caller may see: those of one scope (`principalScope`: a web app's origin), or all (the local UI). */
export type RunScope = { origin: string | null } | 'all';

const keyOf = (run: RunSummary) => ({ id: run.runId, state: run.state, createdAt: run.createdAt });

/** States in which no process had been spawned yet: a run stopped there never ran. */
const NEVER_STARTED: readonly RunState[] = ['awaiting_permission', 'queued'];

/** The origin a run was requested from, as `job_requests` keys it: the local UI is `ui`. */
export function requestOriginOf(requestedBy: Principal): string {
  return principalScope(requestedBy) ?? (requestedBy.kind === 'ui' ? 'ui' : 'none');
}

/** `principalScope` of a stored run's `requestedBy`, in SQL. */
const SCOPE_SQL = `CASE json_extract(summary, '$.requestedBy.kind') WHEN 'fleet' THEN 'fleet:' || json_extract(summary, '$.requestedBy.orchestrator') ELSE json_extract(summary, '$.requestedBy.origin') END`;

/**
 * A stored run as listed today: rows written before jobs existed lack the job fields. A row that
 * has them is returned as parsed: copying every row into a fresh object cost a list of 20 runs
 * more than its SQL (docs/performance.md, round 14).
 */
function upgraded(run: StoredRun): RunSummary {
  if (JOB_FIELDS.every((field) => field in run)) return run as RunSummary;
  const defaults: Pick<RunSummary, JobField> = { status: jobStatusOf(run.state), requestId: null, context: null, recoveryHint: null };
  return Object.assign(defaults, run);
}

const JOB_FIELDS = ['status', 'requestId', 'context', 'recoveryHint'] as const;
type JobField = (typeof JOB_FIELDS)[number];
/** A run's row as parsed: one written before jobs existed lacks the job fields. */
type StoredRun = Omit<RunSummary, JobField> & Partial<Pick<RunSummary, JobField>>;

/** Runs as listed (template fields only) and the web app's requestIds. Output buffers are never stored. */
export class RunsRepository {
  readonly #runs;
  readonly #findRequest;
  readonly #rememberRequest;
  readonly #statements;

  constructor(db: SqliteDatabase) {
    this.#runs = new DocumentTable<RunSummary>(db, { table: 'runs', id: 'run_id', document: 'summary' });
    this.#statements = new StatementCache(db);
    this.#findRequest = db.prepare('SELECT run_id AS runId FROM job_requests WHERE origin = ? AND request_id = ? AND created_at >= ?');
    this.#rememberRequest = db.prepare(
      'INSERT INTO job_requests (origin, request_id, run_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (origin, request_id) DO UPDATE SET run_id = excluded.run_id, created_at = excluded.created_at',
    );
  }

  save(run: RunSummary): void {
    const { id, state, createdAt } = keyOf(run);
    this.#runs.save(id, state, createdAt, run);
  }

  get(runId: string): RunSummary | undefined {
    const run = this.#runs.get(runId);
    return run ? upgraded(run) : undefined;
  }

  /** The run a `requestId` of this origin started, if it was remembered at or after `notBefore`. */
  findByRequest(origin: string, requestId: string, notBefore: string): string | undefined {
    return (this.#findRequest.get(origin, requestId, notBefore) as { runId: string } | undefined)?.runId;
  }

  /** Remembers which run a `requestId` started (replacing one that outlived its retention window). */
  rememberRequest(origin: string, requestId: string, runId: string, at: string): void {
    this.#rememberRequest.run(origin, requestId, runId, at);
  }

  /** Forgets requestIds remembered before `before`; returns how many. */
  forgetRequestsBefore(before: string): number {
    return this.#statements.get('DELETE FROM job_requests WHERE created_at < ?').run(before).changes;
  }

  /**
   * Newest first, optionally only in `states` or of one `requestId`; `scope` keeps a session to its
   * own origin's runs; `cursor` continues a previous page.
   */
  list(options: { states?: readonly RunState[]; requestId?: string; scope?: RunScope; limit: number; cursor?: string }): RunPage {
    const where: string[] = [];
    const params: unknown[] = [];
    if (options.states?.length) {
      where.push(`state IN (${options.states.map(() => '?').join(', ')})`);
      params.push(...options.states);
    }
    if (options.requestId !== undefined) {
      where.push('run_id IN (SELECT run_id FROM job_requests WHERE request_id = ?)');
      params.push(options.requestId);
    }
    if (options.scope && options.scope !== 'all') {
      where.push(`${SCOPE_SQL} IS ?`);
      params.push(options.scope.origin);
    }
    if (options.cursor !== undefined) {
      where.push('seq < ?');
      params.push(decodeCursor(options.cursor));
    }
    const sql = `SELECT seq, summary FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`;
    const rows = this.#statements.get(sql).all(...params, options.limit + 1) as Array<{ seq: number; summary: string }>;
    const { items, nextCursor } = pageOf(rows, options.limit, (row) => upgraded(JSON.parse(row.summary) as RunSummary));
    return { runs: items, nextCursor };
  }

  /**
   * Marks every run that is not final as `interrupted`: they belonged to a bridge process that is
   * gone (stopped or crashed), and their processes with it. A run that had not reached a process
   * yet gets the hint `spawn_failure` (nothing ran); any other `bridge_restart`. Returns the runs
   * it changed.
   */
  interruptLive(at: string): RunSummary[] {
    const changed = this.#runs.inStates(FINAL_RUN_STATES, { not: true }).map(upgraded).map((run) => {
      const recoveryHint: RecoveryHint = NEVER_STARTED.includes(run.state) ? 'spawn_failure' : 'bridge_restart';
      return {
        ...run,
        state: 'interrupted' as const,
        status: jobStatusOf('interrupted'),
        recoveryHint,
        endedAt: run.endedAt ?? at,
        errorMessage: run.errorMessage ?? 'The bridge stopped while this run was live.',
      };
    });
    this.#runs.saveAll(changed, keyOf);
    return changed;
  }
}
