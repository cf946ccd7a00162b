import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, type Migration } from './migrations.js';

export type SqliteDatabase = Database.Database;

/** The database file holds a newer schema than this bridge knows: refuse rather than corrupt it. */
export class DatabaseTooNew extends Error {
  constructor(file: string, found: number, known: number) {
    super(`${file} has schema version ${found}, newer than this bridge knows (${known}); use a newer osloop-bridge or move the file away.`);
    this.name = 'DatabaseTooNew';
  }
}

/**
 * Opens (creating if needed) the bridge's one SQLite database: WAL mode, so readers never wait
 * for a writer and a crash loses at most the last transaction; then applies the migrations it
 * lacks, each in its own transaction. Other capabilities may add their tables as later migrations.
 */
export function openDatabase(file: string, migrations: readonly Migration[] = MIGRATIONS): SqliteDatabase {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    // NORMAL is durable across application crashes in WAL mode; only a power loss may drop the
    // last commits, which for an audit of decisions is an acceptable trade for speed.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, file, migrations);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Current schema version (SQLite's `user_version`). */
export function schemaVersion(db: SqliteDatabase): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function migrate(db: SqliteDatabase, file: string, migrations: readonly Migration[]): void {
  const known = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  const current = schemaVersion(db);
  if (current > known) throw new DatabaseTooNew(file, current, known);
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
}
