import { FINAL_RUN_STATES, type RunState, type RunSummary } from '../contract/routes/commands.js';
import type { SqliteDatabase } from './database.js';
import { decodeCursor, encodeCursor } from './cursor.js';

export interface RunPage {
  runs: RunSummary[];
  nextCursor: string | null;
}

/** Runs as listed (template fields only). Output buffers are never stored. */
export class RunsRepository {
  readonly #db: SqliteDatabase;
  readonly #upsert;
  readonly #get;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#upsert = db.prepare(
      `INSERT INTO runs (run_id, state, created_at, summary) VALUES (@runId, @state, @createdAt, @summary)
       ON CONFLICT (run_id) DO UPDATE SET state = excluded.state, summary = excluded.summary`,
    );
    this.#get = db.prepare('SELECT summary FROM runs WHERE run_id = ?');
  }

  save(run: RunSummary): void {
    this.#upsert.run({ runId: run.runId, state: run.state, createdAt: run.createdAt, summary: JSON.stringify(run) });
  }

  get(runId: string): RunSummary | undefined {
    const row = this.#get.get(runId) as { summary: string } | undefined;
    return row ? (JSON.parse(row.summary) as RunSummary) : undefined;
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
    const page = rows.slice(0, options.limit);
    return {
      runs: page.map((row) => JSON.parse(row.summary) as RunSummary),
      nextCursor: rows.length > options.limit ? encodeCursor(page.at(-1)!.seq) : null,
    };
  }

  /**
   * Marks every run that is not final as `interrupted`: they belonged to a bridge process that is
   * gone (stopped or crashed), and their processes with it. Returns the runs it changed.
   */
  interruptLive(at: string): RunSummary[] {
    const finals = FINAL_RUN_STATES.map(() => '?').join(', ');
    const live = this.#db.prepare(`SELECT summary FROM runs WHERE state NOT IN (${finals}) ORDER BY seq`).all(...FINAL_RUN_STATES) as Array<{ summary: string }>;
    const changed = live.map((row) => {
      const run = JSON.parse(row.summary) as RunSummary;
      return {
        ...run,
        state: 'interrupted' as const,
        endedAt: run.endedAt ?? at,
        errorMessage: run.errorMessage ?? 'The bridge stopped while this run was live.',
      };
    });
    this.#db.transaction(() => changed.forEach((run) => this.save(run)))();
    return changed;
  }
}
