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
  // Wrapped once: better-sqlite3's transaction() builds a new function (and its savepoint
  // variants) per call, which showed in the profile of every whitelisted run (issue 15).
  readonly #record: (decision: Decision | undefined, rule: WhitelistRule | null) => void;
  readonly #recordRuleUse: (decision: Decision, ruleId: string, at: string) => WhitelistRule | undefined;

  constructor(db: SqliteDatabase) {
    this.prompts = new PromptsRepository(db);
    this.rules = new RulesRepository(db);
    this.decisions = new DecisionsRepository(db);
    this.#record = db.transaction((decision: Decision | undefined, rule: WhitelistRule | null) => {
      if (rule) this.rules.insert(rule);
      if (decision) this.decisions.insert(decision);
    });
    this.#recordRuleUse = db.transaction((decision: Decision, ruleId: string, at: string) => {
      this.decisions.insert(decision);
      return this.rules.touch(ruleId, at);
    });
  }

  /** Stores a decision and the rule it created together: never a rule without its decision. */
  record(decision: Decision | undefined, rule: WhitelistRule | null): void {
    this.#record(decision, rule);
  }

  /**
   * Stores the decision a whitelist rule made and counts the use on the rule, in one transaction
   * (one commit per whitelisted run instead of two); returns the rule as it is now.
   */
  recordRuleUse(decision: Decision, ruleId: string, at: string): WhitelistRule | undefined {
    return this.#recordRuleUse(decision, ruleId, at);
  }
}

/** The live actor `id` if it is a permission prompt (ids are client input: it could name another actor). */
export function livePrompt(runtime: ActorRuntime, id: string): AnyActorRef | undefined {
  const ref = runtime.child(id);
  return (ref?.getSnapshot() as { machine?: { id?: string } } | undefined)?.machine?.id === 'permissionPrompt' ? ref : undefined;
}
