import type { PromptState, PromptView } from '../contract/routes/permissions.js';
import type { SqliteDatabase } from './database.js';
import { DocumentTable } from './document-table.js';

const keyOf = (view: PromptView) => ({ id: view.promptId, state: view.state, createdAt: view.createdAt });

/** Permission prompts as shown to the user (template fields), pending or settled. */
export class PromptsRepository {
  readonly #prompts;

  constructor(db: SqliteDatabase) {
    this.#prompts = new DocumentTable<PromptView>(db, { table: 'prompts', id: 'prompt_id', document: 'view' });
  }

  save(view: PromptView): void {
    const { id, state, createdAt } = keyOf(view);
    this.#prompts.save(id, state, createdAt, view);
  }

  get(promptId: string): PromptView | undefined {
    return this.#prompts.get(promptId);
  }

  /** Oldest first. */
  pending(): PromptView[] {
    return this.#prompts.inStates(['pending']);
  }

  /** Prompts left pending by a bridge process that is gone can no longer be answered. */
  cancelPending(at: string): PromptView[] {
    const changed = this.pending().map((view) => ({ ...view, state: 'cancelled' as PromptState, resolvedAt: at }));
    this.#prompts.saveAll(changed, keyOf);
    return changed;
  }
}
