import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatabaseTooNew, openDatabase, schemaVersion } from '../../src/storage/database.js';
import { MIGRATIONS } from '../../src/storage/migrations.js';

describe('the SQLite database', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'osloop-db-'));
    file = path.join(dir, 'nested', 'bridge.db');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the file and its folder, in WAL mode, at the latest schema version', () => {
    const db = openDatabase(file);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(schemaVersion(db)).toBe(Math.max(...MIGRATIONS.map((m) => m.version)));
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all();
    expect(tables).toEqual(['decisions', 'install_jobs', 'job_requests', 'prompts', 'runs', 'whitelist_rules']);
    db.close();
  });

  it('applies only the migrations a database lacks, keeping its rows', () => {
    const first = openDatabase(file);
    first.prepare("INSERT INTO runs (run_id, state, created_at, summary) VALUES ('run_1', 'completed', 'now', '{}')").run();
    first.close();
    const extra = { version: 999, description: 'a later capability', sql: 'CREATE TABLE later (id TEXT);' };
    const second = openDatabase(file, [...MIGRATIONS, extra]);
    expect(schemaVersion(second)).toBe(999);
    expect(second.prepare('SELECT count(*) FROM runs').pluck().get()).toBe(1);
    second.close();
  });

  it('refuses a database written by a newer bridge rather than touching it', () => {
    openDatabase(file, [...MIGRATIONS, { version: 50, description: 'future', sql: 'SELECT 1;' }]).close();
    expect(() => openDatabase(file)).toThrow(DatabaseTooNew);
  });

  it('rolls a failing migration back entirely', () => {
    openDatabase(file).close();
    const broken = { version: 100, description: 'broken', sql: 'CREATE TABLE half (id TEXT); THIS IS NOT SQL;' };
    expect(() => openDatabase(file, [...MIGRATIONS, broken])).toThrow();
    const db = openDatabase(file);
    expect(schemaVersion(db)).toBe(Math.max(...MIGRATIONS.map((m) => m.version)));
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'half'").pluck().get()).toBe(0);
    db.close();
  });
});
