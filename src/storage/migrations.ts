/** One schema change; versions are applied in order, once, and never edited after release. */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

/*
 * Only template fields are ever stored (the secrets rule): rows hold what the user saw in the
 * prompt, never resolved values. Run output stays in memory.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'runs, permission prompts, decisions and whitelist rules',
    sql: `
      CREATE TABLE runs (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id     TEXT NOT NULL UNIQUE,
        state      TEXT NOT NULL,
        created_at TEXT NOT NULL,
        summary    TEXT NOT NULL -- RunSummary JSON: template fields only
      );
      CREATE INDEX runs_state ON runs (state, seq);

      CREATE TABLE prompts (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        prompt_id  TEXT NOT NULL UNIQUE,
        state      TEXT NOT NULL,
        created_at TEXT NOT NULL,
        view       TEXT NOT NULL -- PromptView JSON
      );
      CREATE INDEX prompts_state ON prompts (state, seq);

      CREATE TABLE whitelist_rules (
        seq                  INTEGER PRIMARY KEY AUTOINCREMENT,
        rule_id              TEXT NOT NULL UNIQUE,
        executable           TEXT NOT NULL,
        args                 TEXT NOT NULL, -- JSON array of template arguments
        any_further_args     INTEGER NOT NULL,
        shell                INTEGER NOT NULL,
        created_at           TEXT NOT NULL,
        last_used_at         TEXT,
        use_count            INTEGER NOT NULL DEFAULT 0,
        created_by_prompt_id TEXT NOT NULL
      );
      CREATE INDEX whitelist_rules_executable ON whitelist_rules (executable);

      CREATE TABLE decisions (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        decision_id TEXT NOT NULL UNIQUE,
        at          TEXT NOT NULL,
        prompt_id   TEXT,
        decision    TEXT NOT NULL -- Decision JSON
      );
      CREATE INDEX decisions_prompt ON decisions (prompt_id);
    `,
  },
  {
    version: 2,
    description: 'the web app\'s requestIds, for idempotent execute and install',
    sql: `
      CREATE TABLE job_requests (
        origin     TEXT NOT NULL, -- the requesting origin; 'ui' for the local UI
        request_id TEXT NOT NULL, -- the web app's own id of the request
        run_id     TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (origin, request_id)
      );
      CREATE INDEX job_requests_created ON job_requests (created_at);
      CREATE INDEX job_requests_request ON job_requests (request_id);
    `,
  },
  {
    version: 3,
    description: 'whitelist rules cover cwd, env and stdin and are scoped to an origin and skill',
    sql: `
      -- RuleMatch fields beyond executable/args/shell, as JSON: { cwd, env, stdin, scope: { origin, skillId } }.
      -- Rules saved before this version have none: they keep matching only requests from the local UI
      -- without cwd, env or stdin (see rules-repository.ts).
      ALTER TABLE whitelist_rules ADD COLUMN match TEXT;
      ALTER TABLE whitelist_rules ADD COLUMN origin TEXT; -- scope.origin, for listing by origin
      CREATE INDEX whitelist_rules_origin ON whitelist_rules (origin, seq);
    `,
  },
  {
    version: 4,
    description: 'install jobs, so their requestIds and lookups survive a bridge restart',
    sql: `
      CREATE TABLE install_jobs (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        install_id TEXT NOT NULL UNIQUE,
        origin     TEXT NOT NULL, -- the requesting origin; 'ui' for the local UI (as job_requests)
        request_id TEXT,          -- the web app's own id of the request, if it sent one
        state      TEXT NOT NULL,
        created_at TEXT NOT NULL,
        job        TEXT NOT NULL -- { details: RunDetails without output, reply }: recipe steps, never resolved values
      );
      CREATE INDEX install_jobs_request ON install_jobs (origin, request_id, seq);
      CREATE INDEX install_jobs_created ON install_jobs (created_at);
      CREATE INDEX install_jobs_state ON install_jobs (state);
    `,
  },
];
