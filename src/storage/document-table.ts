import type { SqliteDatabase } from './database.js';
import { StatementCache } from './statement-cache.js';

/**
 * A table of JSON documents keyed by id, with their state and creation time as columns for
 * querying (runs, prompts): the shape `(seq, <id>, state, created_at, <document>)` of the
 * migrations. Column names come from this code, never from a request.
 */
export class DocumentTable<T> {
  readonly #db: SqliteDatabase;
  readonly #table: string;
  readonly #documentColumn: string;
  readonly #upsert;
  readonly #get;
  readonly #statements;

  constructor(db: SqliteDatabase, columns: { table: string; id: string; document: string }) {
    const { table, id, document } = columns;
    this.#db = db;
    this.#table = table;
    this.#documentColumn = document;
    this.#upsert = db.prepare(
      `INSERT INTO ${table} (${id}, state, created_at, ${document}) VALUES (@id, @state, @createdAt, @document)
       ON CONFLICT (${id}) DO UPDATE SET state = excluded.state, ${document} = excluded.${document}`,
    );
    this.#get = db.prepare(`SELECT ${document} AS document FROM ${table} WHERE ${id} = ?`);
    this.#statements = new StatementCache(db);
  }

  save(id: string, state: string, createdAt: string, document: T): void {
    this.#upsert.run({ id, state, createdAt, document: JSON.stringify(document) });
  }

  get(id: string): T | undefined {
    const row = this.#get.get(id) as { document: string } | undefined;
    return row ? (JSON.parse(row.document) as T) : undefined;
  }

  /** Documents whose state is (or with `not`, is not) one of `states`, oldest first. */
  inStates(states: readonly string[], options: { not?: boolean } = {}): T[] {
    const marks = states.map(() => '?').join(', ');
    const sql = `SELECT ${this.#documentColumn} AS document FROM ${this.#table} WHERE state ${options.not ? 'NOT IN' : 'IN'} (${marks}) ORDER BY seq`;
    return (this.#statements.get(sql).all(...states) as Array<{ document: string }>).map((row) => JSON.parse(row.document) as T);
  }

  /** Saves every document in one transaction. */
  saveAll(documents: readonly T[], key: (document: T) => { id: string; state: string; createdAt: string }): void {
    this.#db.transaction(() => {
      for (const document of documents) {
        const { id, state, createdAt } = key(document);
        this.save(id, state, createdAt, document);
      }
    })();
  }
}
