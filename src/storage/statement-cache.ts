import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from './database.js';

/** Enough for every shape of a list query (filters × cursor), far fewer than a query per request. */
const DEFAULT_CAPACITY = 64;

/**
 * Prepared statements for SQL built at run time (a list's filters decide its WHERE clause), kept
 * by their text: `prepare` parses and plans the SQL each time, and the runs list was prepared on
 * every call under load (docs/performance.md). The SQL is this code's own, never a request's, so
 * the number of texts is small; the least recently used one goes when the cache is full. A
 * statement is shared by every caller of its text: none may switch its mode (`pluck`, `raw`,
 * `expand`), which would stay switched for the next.
 */
export class StatementCache {
  readonly #db: SqliteDatabase;
  readonly #capacity: number;
  readonly #statements = new Map<string, Statement>();

  constructor(db: SqliteDatabase, capacity = DEFAULT_CAPACITY) {
    this.#db = db;
    this.#capacity = capacity;
  }

  get(sql: string): Statement {
    const cached = this.#statements.get(sql);
    if (cached) {
      // Moved to the end: a Map iterates in insertion order, so the first entry is the oldest use.
      this.#statements.delete(sql);
      this.#statements.set(sql, cached);
      return cached;
    }
    const statement = this.#db.prepare(sql);
    this.#statements.set(sql, statement);
    if (this.#statements.size > this.#capacity) this.#statements.delete(this.#statements.keys().next().value!);
    return statement;
  }
}
