import type { WhitelistRule } from '../contract/routes/permissions.js';
import type { SqliteDatabase } from './database.js';

interface RuleRow {
  rule_id: string;
  executable: string;
  args: string;
  any_further_args: number;
  shell: number;
  created_at: string;
  last_used_at: string | null;
  use_count: number;
  created_by_prompt_id: string;
}

const toRule = (row: RuleRow): WhitelistRule => ({
  ruleId: row.rule_id,
  executable: row.executable,
  args: JSON.parse(row.args) as string[],
  anyFurtherArgs: row.any_further_args === 1,
  shell: row.shell === 1,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  useCount: row.use_count,
  createdByPromptId: row.created_by_prompt_id,
});

/** Whitelist rules: template executable and arguments only, with when and how often they were used. */
export class RulesRepository {
  readonly #insert;
  readonly #get;
  readonly #list;
  readonly #forExecutable;
  readonly #touch;
  readonly #delete;

  constructor(db: SqliteDatabase) {
    this.#insert = db.prepare(
      `INSERT INTO whitelist_rules (rule_id, executable, args, any_further_args, shell, created_at, last_used_at, use_count, created_by_prompt_id)
       VALUES (@ruleId, @executable, @args, @anyFurtherArgs, @shell, @createdAt, @lastUsedAt, @useCount, @createdByPromptId)`,
    );
    this.#get = db.prepare('SELECT * FROM whitelist_rules WHERE rule_id = ?');
    this.#list = db.prepare('SELECT * FROM whitelist_rules ORDER BY seq DESC');
    this.#forExecutable = db.prepare('SELECT * FROM whitelist_rules WHERE executable = ? ORDER BY seq');
    this.#touch = db.prepare('UPDATE whitelist_rules SET last_used_at = ?, use_count = use_count + 1 WHERE rule_id = ?');
    this.#delete = db.prepare('DELETE FROM whitelist_rules WHERE rule_id = ?');
  }

  insert(rule: WhitelistRule): void {
    this.#insert.run({ ...rule, args: JSON.stringify(rule.args), anyFurtherArgs: rule.anyFurtherArgs ? 1 : 0, shell: rule.shell ? 1 : 0 });
  }

  get(ruleId: string): WhitelistRule | undefined {
    const row = this.#get.get(ruleId) as RuleRow | undefined;
    return row ? toRule(row) : undefined;
  }

  /** Newest first. */
  list(): WhitelistRule[] {
    return (this.#list.all() as RuleRow[]).map(toRule);
  }

  /** The candidates for a request: rules on exactly this executable, oldest first. */
  forExecutable(executable: string): WhitelistRule[] {
    return (this.#forExecutable.all(executable) as RuleRow[]).map(toRule);
  }

  /** Records one use; returns the rule as it is now. */
  touch(ruleId: string, at: string): WhitelistRule | undefined {
    this.#touch.run(at, ruleId);
    return this.get(ruleId);
  }

  /** Returns the deleted rule, or undefined when there was none. */
  delete(ruleId: string): WhitelistRule | undefined {
    const rule = this.get(ruleId);
    if (rule) this.#delete.run(ruleId);
    return rule;
  }
}
