import { FINAL_RUN_STATES, type RunState, type RunSummary } from '../contract/routes/commands.js';
import type { SqliteDatabase } from './database.js';
import { decodeCursor, pageOf } from './cursor.js';
import { DocumentTable } from './document-table.js';

export interface RunPage {
  runs: RunSummary[];
  nextCursor: string | null;
}

const keyOf = (run: RunSummary) => ({ id: run.runId, state: run.state, createdAt: run.createdAt });

/** Runs as listed (template fields only). Output buffers are never stored. */
export class RunsRepository {
  readonly #db: SqliteDatabase;
  readonly #runs;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#runs = new DocumentTable<RunSummary>(db, { table: 'runs', id: 'run_id', document: 'summary' });
  }

  save(run: RunSummary): void {
    const { id, state, createdAt } = keyOf(run);
    this.#runs.save(id, state, createdAt, run);
  }

  get(runId: string): RunSummary | undefined {
    return this.#runs.get(runId);
  }

  /** Newest first, optionally only in `states`; `cursor` continues a previous page. */
  list(options: { states?: readonly RunState[]; limit: number; cursor?: string }): RunPage {
    const where: string[] = [];
    const params: unknown[] = [];
    if (options.states?.length) {
      where.push(`state IN (${options.states.map(() => '?').join(', ')})`);
      params.push(...options.states);
    }
    if (options.cursor !== undefined) {
      where.push('seq < ?');
      params.push(decodeCursor(options.cursor));
    }
    const sql = `SELECT seq, summary FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`;
    const rows = this.#db.prepare(sql).all(...params, options.limit + 1) as Array<{ seq: number; summary: string }>;
    const { items, nextCursor } = pageOf(rows, options.limit, (row) => JSON.parse(row.summary) as RunSummary);
    return { runs: items, nextCursor };
  }

  /**
   * Marks every run that is not final as `interrupted`: they belonged to a bridge process that is
   * gone (stopped or crashed), and their processes with it. Returns the runs it changed.
   */
  interruptLive(at: string): RunSummary[] {
    const changed = this.#runs.inStates(FINAL_RUN_STATES, { not: true }).map((run) => ({
      ...run,
      state: 'interrupted' as const,
      endedAt: run.endedAt ?? at,
      errorMessage: run.errorMessage ?? 'The bridge stopped while this run was live.',
    }));
    this.#runs.saveAll(changed, keyOf);
    return changed;
  }
}
