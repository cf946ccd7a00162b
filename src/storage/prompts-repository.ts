import type { PromptState, PromptView } from '../contract/routes/permissions.js';
import type { SqliteDatabase } from './database.js';

/** Permission prompts as shown to the user (template fields), pending or settled. */
export class PromptsRepository {
  readonly #db: SqliteDatabase;
  readonly #upsert;
  readonly #get;
  readonly #pending;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#upsert = db.prepare(
      `INSERT INTO prompts (prompt_id, state, created_at, view) VALUES (@promptId, @state, @createdAt, @view)
       ON CONFLICT (prompt_id) DO UPDATE SET state = excluded.state, view = excluded.view`,
    );
    this.#get = db.prepare('SELECT view FROM prompts WHERE prompt_id = ?');
    this.#pending = db.prepare("SELECT view FROM prompts WHERE state = 'pending' ORDER BY seq");
  }

  save(view: PromptView): void {
    this.#upsert.run({ promptId: view.promptId, state: view.state, createdAt: view.createdAt, view: JSON.stringify(view) });
  }

  get(promptId: string): PromptView | undefined {
    const row = this.#get.get(promptId) as { view: string } | undefined;
    return row ? (JSON.parse(row.view) as PromptView) : undefined;
  }

  /** Oldest first. */
  pending(): PromptView[] {
    return (this.#pending.all() as Array<{ view: string }>).map((row) => JSON.parse(row.view) as PromptView);
  }

  /** Prompts left pending by a bridge process that is gone can no longer be answered. */
  cancelPending(at: string): PromptView[] {
    const changed = this.pending().map((view) => ({ ...view, state: 'cancelled' as PromptState, resolvedAt: at }));
    this.#db.transaction(() => changed.forEach((view) => this.save(view)))();
    return changed;
  }
}
