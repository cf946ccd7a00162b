import type { WhitelistRule } from '../contract/routes/permissions.js';
import type { SqliteDatabase } from './database.js';

interface RuleRow {
  rule_id: string;
  executable: string;
  args: string;
  any_further_args: number;
  shell: number;
  match: string | null;
  created_at: string;
  last_used_at: string | null;
  use_count: number;
  created_by_prompt_id: string;
}

type MatchColumn = Pick<WhitelistRule, 'cwd' | 'env' | 'stdin' | 'scope'>;

/** A rule saved before rules covered cwd, env, stdin and scope: it reaches only the local UI's plainest requests. */
const LEGACY_MATCH: MatchColumn = { cwd: null, env: {}, stdin: null, scope: { origin: null, skillId: null } };

const toRule = (row: RuleRow): WhitelistRule => {
  const match = row.match ? (JSON.parse(row.match) as MatchColumn) : LEGACY_MATCH;
  return {
    ruleId: row.rule_id,
    executable: row.executable,
    args: JSON.parse(row.args) as string[],
    anyFurtherArgs: row.any_further_args === 1,
    shell: row.shell === 1,
    cwd: match.cwd,
    env: match.env,
    stdin: match.stdin,
    scope: match.scope,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    useCount: row.use_count,
    createdByPromptId: row.created_by_prompt_id,
  };
};

/** Whitelist rules: template fields only, with their scope and when and how often they were used. */
export class RulesRepository {
  readonly #insert;
  readonly #get;
  readonly #list;
  readonly #listForOrigin;
  readonly #forExecutable;
  readonly #touch;
  readonly #delete;

  constructor(db: SqliteDatabase) {
    this.#insert = db.prepare(
      `INSERT INTO whitelist_rules (rule_id, executable, args, any_further_args, shell, match, origin, created_at, last_used_at, use_count, created_by_prompt_id)
       VALUES (@ruleId, @executable, @args, @anyFurtherArgs, @shell, @match, @origin, @createdAt, @lastUsedAt, @useCount, @createdByPromptId)`,
    );
    this.#get = db.prepare('SELECT * FROM whitelist_rules WHERE rule_id = ?');
    this.#list = db.prepare('SELECT * FROM whitelist_rules ORDER BY seq DESC');
    this.#listForOrigin = db.prepare('SELECT * FROM whitelist_rules WHERE origin IS ? ORDER BY seq DESC');
    this.#forExecutable = db.prepare('SELECT * FROM whitelist_rules WHERE executable = ? ORDER BY seq');
    this.#touch = db.prepare('UPDATE whitelist_rules SET last_used_at = ?, use_count = use_count + 1 WHERE rule_id = ?');
    this.#delete = db.prepare('DELETE FROM whitelist_rules WHERE rule_id = ?');
  }

  insert(rule: WhitelistRule): void {
    const match: MatchColumn = { cwd: rule.cwd, env: rule.env, stdin: rule.stdin, scope: rule.scope };
    this.#insert.run({
      ruleId: rule.ruleId,
      executable: rule.executable,
      args: JSON.stringify(rule.args),
      anyFurtherArgs: rule.anyFurtherArgs ? 1 : 0,
      shell: rule.shell ? 1 : 0,
      match: JSON.stringify(match),
      origin: rule.scope.origin,
      createdAt: rule.createdAt,
      lastUsedAt: rule.lastUsedAt,
      useCount: rule.useCount,
      createdByPromptId: rule.createdByPromptId,
    });
  }

  get(ruleId: string): WhitelistRule | undefined {
    const row = this.#get.get(ruleId) as RuleRow | undefined;
    return row ? toRule(row) : undefined;
  }

  /** Newest first: every rule (the local UI), or only those scoped to `origin` (a session). */
  list(filter?: { origin: string | null }): WhitelistRule[] {
    const rows = filter ? this.#listForOrigin.all(filter.origin) : this.#list.all();
    return (rows as RuleRow[]).map(toRule);
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
