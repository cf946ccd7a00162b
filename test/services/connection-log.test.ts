import { describe, expect, it } from 'vitest';
import { createInProcessBus } from '../../src/bus/index.js';
import { subjectsFor } from '../../src/bus/subjects.js';
import { startConnectionLog, type ConnectionRecord } from '../../src/services/connection-log.js';

const subjects = subjectsFor('test');
const record = (path: string): ConnectionRecord => ({
  at: '2026-12-01T00:00:00.000Z',
  kind: 'route',
  method: 'GET',
  path,
  status: 200,
  origin: null,
  sessionId: null,
  errorCode: null,
  malformed: false,
  hint: null,
  durationMs: 1,
});

async function logWith(capacity: number, paths: string[]) {
  const bus = createInProcessBus();
  startConnectionLog({ bus, subjects, capacity });
  for (const path of paths) bus.publish(subjects.internal('connections.record'), record(path));
  const list = (limit: number) => bus.request<{ entries: { id: number; path: string }[]; capacity: number }>(subjects.rpc('ui.connections'), { query: { limit } });
  return { list };
}

describe('connection log', () => {
  it('keeps the newest `capacity` records, newest first, with ids that keep counting', async () => {
    const { list } = await logWith(3, ['/a', '/b', '/c', '/d', '/e']);
    const { entries, capacity } = await list(10);
    expect(capacity).toBe(3);
    expect(entries.map(({ id, path }) => [id, path])).toEqual([[5, '/e'], [4, '/d'], [3, '/c']]);
  });

  it('answers at most `limit` entries, and fewer while it is not yet full', async () => {
    expect((await (await logWith(3, ['/a', '/b', '/c', '/d'])).list(2)).entries.map((e) => e.path)).toEqual(['/d', '/c']);
    expect((await (await logWith(5, ['/a', '/b'])).list(10)).entries.map((e) => e.path)).toEqual(['/b', '/a']);
    expect((await (await logWith(5, [])).list(10)).entries).toEqual([]);
  });
});
