import type { AnyActorRef } from 'xstate';
import type { Decision, WhitelistRule } from '../../contract/routes/permissions.js';
import type { ActorRuntime } from '../../runtime/actor-runtime.js';
import type { SqliteDatabase } from '../../storage/database.js';
import { DecisionsRepository } from '../../storage/decisions-repository.js';
import { PromptsRepository } from '../../storage/prompts-repository.js';
import { RulesRepository } from '../../storage/rules-repository.js';

/** The permission authority's persistent state: prompts, whitelist rules and the decision audit. */
export class PermissionStore {
  readonly prompts: PromptsRepository;
  readonly rules: RulesRepository;
  readonly decisions: DecisionsRepository;
  readonly #db: SqliteDatabase;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.prompts = new PromptsRepository(db);
    this.rules = new RulesRepository(db);
    this.decisions = new DecisionsRepository(db);
  }

  /** Stores a decision and the rule it created together: never a rule without its decision. */
  record(decision: Decision | undefined, rule: WhitelistRule | null): void {
    this.#db.transaction(() => {
      if (rule) this.rules.insert(rule);
      if (decision) this.decisions.insert(decision);
    })();
  }
}

/** The live actor `id` if it is a permission prompt (ids are client input: it could name another actor). */
export function livePrompt(runtime: ActorRuntime, id: string): AnyActorRef | undefined {
  const ref = runtime.child(id);
  return (ref?.getSnapshot() as { machine?: { id?: string } } | undefined)?.machine?.id === 'permissionPrompt' ? ref : undefined;
}
