import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/storage/database.js';
import { StatementCache } from '../../src/storage/statement-cache.js';

describe('the statement cache', () => {
  const db = () => {
    const database = openDatabase(':memory:', []);
    database.exec('CREATE TABLE items (n INTEGER)');
    return database;
  };

  it('prepares a text once and hands the same statement back, which still runs with new parameters', () => {
    const database = db();
    const cache = new StatementCache(database);
    const insert = cache.get('INSERT INTO items (n) VALUES (?)');
    expect(cache.get('INSERT INTO items (n) VALUES (?)')).toBe(insert);
    insert.run(1);
    cache.get('INSERT INTO items (n) VALUES (?)').run(2);
    expect(cache.get('SELECT n FROM items ORDER BY n').pluck().all()).toEqual([1, 2]);
  });

  it('keeps at most its capacity, letting the least recently used text go', () => {
    const cache = new StatementCache(db(), 2);
    const first = cache.get('SELECT 1');
    const second = cache.get('SELECT 2');
    // Used again: now the most recent, so the third text pushes out the second.
    expect(cache.get('SELECT 1')).toBe(first);
    cache.get('SELECT 3');
    expect(cache.get('SELECT 1')).toBe(first);
    expect(cache.get('SELECT 2')).not.toBe(second);
  });
});
