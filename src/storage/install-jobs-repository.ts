import type { InstallAccepted } from '../contract/routes/system.js';
import type { RecoveryHint } from '../contract/routes/jobs.js';
import { jobStatusOf } from '../contract/routes/jobs.js';
import { FINAL_RUN_STATES, type RunDetails } from '../contract/routes/commands.js';
import type { SqliteDatabase } from './database.js';

/** Most install jobs kept; past it the oldest are forgotten first (a session can start many). */
const MAX_KEPT = 1_000;

/** What a repeated `requestId` answers: the first install's refusal, or its job. */
export type StoredInstallReply =
  | { refused: { code: string; message: string; details: Record<string, unknown> } }
  | { accepted: Omit<InstallAccepted, "duplicate" | "held" | "heldLimitReached"> };

/**
 * An install job as stored: its run details (recipe steps and the request's own fields, never
 * output: a step's output is that of its run) and what a repeat of its `requestId` answers.
 */
export interface StoredInstallJob {
  /** The catalogue's tool id (the job events' `summary.toolId`). */
  toolId: string;
  details: RunDetails;
  reply: StoredInstallReply;
}

/**
 * Install jobs in SQLite, so that a bridge restart forgets none of them within the retention
 * window: found by install id (runs details) and by `requestId` per origin (the same `requestId`
 * from the same origin answers the first install and starts nothing new).
 */
export class InstallJobsRepository {
  readonly #db: SqliteDatabase;
  readonly #insert;
  readonly #update;
  readonly #get;
  readonly #byRequest;
  readonly #forget;
  readonly #trim;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#insert = db.prepare('INSERT INTO install_jobs (install_id, origin, request_id, state, created_at, job) VALUES (?, ?, ?, ?, ?, ?)');
    this.#update = db.prepare('UPDATE install_jobs SET state = ?, job = ? WHERE install_id = ?');
    this.#get = db.prepare('SELECT job FROM install_jobs WHERE install_id = ? AND created_at >= ?');
    this.#byRequest = db.prepare('SELECT job FROM install_jobs WHERE origin = ? AND request_id = ? AND created_at >= ? ORDER BY seq DESC LIMIT 1');
    this.#forget = db.prepare('DELETE FROM install_jobs WHERE created_at < ?');
    this.#trim = db.prepare(`DELETE FROM install_jobs WHERE seq <= (SELECT seq FROM install_jobs ORDER BY seq DESC LIMIT 1 OFFSET ${MAX_KEPT})`);
  }

  /** A new install job, with the origin and `requestId` it was asked with; forgets those past `notBefore`. */
  add(job: StoredInstallJob, origin: string, requestId: string | null, notBefore: string): void {
    this.#db.transaction(() => {
      this.#forget.run(notBefore);
      this.#insert.run(job.details.runId, origin, requestId, job.details.state, job.details.createdAt, JSON.stringify(job));
      this.#trim.run();
    })();
  }

  update(job: StoredInstallJob): void {
    this.#update.run(job.details.state, JSON.stringify(job), job.details.runId);
  }

  get(installId: string, notBefore: string): StoredInstallJob | undefined {
    return parse(this.#get.get(installId, notBefore));
  }

  byRequest(origin: string, requestId: string, notBefore: string): StoredInstallJob | undefined {
    return parse(this.#byRequest.get(origin, requestId, notBefore));
  }

  /**
   * Ends every install job that is not final as `interrupted`: it belonged to a bridge process
   * that is gone, and its step's process with it. One whose first step never started gets the
   * hint `spawn_failure` (nothing ran); any other `bridge_restart`. Returns the jobs it changed.
   */
  interruptLive(at: string): StoredInstallJob[] {
    const marks = FINAL_RUN_STATES.map(() => '?').join(', ');
    const rows = this.#db.prepare(`SELECT job FROM install_jobs WHERE state NOT IN (${marks}) ORDER BY seq`).all(...FINAL_RUN_STATES);
    const changed = rows.map((row) => interrupted(parse(row)!, at));
    this.#db.transaction(() => {
      for (const job of changed) this.update(job);
    })();
    return changed;
  }
}

function interrupted({ toolId, details, reply }: StoredInstallJob, at: string): StoredInstallJob {
  const recoveryHint: RecoveryHint = details.startedAt === null ? 'spawn_failure' : 'bridge_restart';
  const status = jobStatusOf('interrupted');
  const errorMessage = 'The bridge stopped while this install was live.';
  return {
    toolId,
    details: { ...details, state: 'interrupted', status, recoveryHint, endedAt: details.endedAt ?? at, errorMessage: details.errorMessage ?? errorMessage },
    reply: 'accepted' in reply ? { accepted: { ...reply.accepted, status, recoveryHint } } : reply,
  };
}

function parse(row: unknown): StoredInstallJob | undefined {
  return row ? (JSON.parse((row as { job: string }).job) as StoredInstallJob) : undefined;
}
