import type { Decision } from '../contract/routes/permissions.js';
import type { SqliteDatabase } from './database.js';
import { decodeCursor, pageOf } from './cursor.js';
import { StatementCache } from './statement-cache.js';

/** The audit of permission decisions: append-only. */
export class DecisionsRepository {
  readonly #insert;
  readonly #byPrompt;
  readonly #statements;

  constructor(db: SqliteDatabase) {
    this.#insert = db.prepare('INSERT INTO decisions (decision_id, at, prompt_id, decision) VALUES (?, ?, ?, ?)');
    this.#byPrompt = db.prepare('SELECT decision FROM decisions WHERE prompt_id = ? ORDER BY seq LIMIT 1');
    this.#statements = new StatementCache(db);
  }

  insert(decision: Decision): void {
    this.#insert.run(decision.decisionId, decision.at, decision.promptId, JSON.stringify(decision));
  }

  forPrompt(promptId: string): Decision | undefined {
    const row = this.#byPrompt.get(promptId) as { decision: string } | undefined;
    return row ? (JSON.parse(row.decision) as Decision) : undefined;
  }

  /** Newest first. */
  list(options: { limit: number; cursor?: string }): { decisions: Decision[]; nextCursor: string | null } {
    const rows = (
      options.cursor === undefined
        ? this.#statements.get('SELECT seq, decision FROM decisions ORDER BY seq DESC LIMIT ?').all(options.limit + 1)
        : this.#statements.get('SELECT seq, decision FROM decisions WHERE seq < ? ORDER BY seq DESC LIMIT ?').all(decodeCursor(options.cursor), options.limit + 1)
    ) as Array<{ seq: number; decision: string }>;
    const { items, nextCursor } = pageOf(rows, options.limit, (row) => JSON.parse(row.decision) as Decision);
    return { decisions: items, nextCursor };
  }
}
