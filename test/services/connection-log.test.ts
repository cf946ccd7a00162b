import { describe, expect, it } from 'vitest';
import { createInProcessBus } from '../../src/bus/index.js';
import { subjectsFor } from '../../src/bus/subjects.js';
import { ConnectionRing, startConnectionLog, type ConnectionRecord } from '../../src/services/connection-log.js';

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

  it('lists what the HTTP layer wrote into its ring as the entries the UI reads', async () => {
    const bus = createInProcessBus();
    const ring = new ConnectionRing(4);
    startConnectionLog({ bus, subjects, ring });
    const at = Date.parse('2026-12-01T10:20:30.456Z');
    ring.add(at, 'route', 'GET', '/api/v1/bridge/info', 200, 'http://127.0.0.1:1', 'ses_1', null, null, 0.37);
    ring.add(at + 1, 'failure', 'GET', '/api/v1/api/v1/health', 404, null, null, 'malformed_path', '/api/v1/health', null);
    bus.publish(subjects.internal('connections.record'), { ...record('/ws/v1/events'), kind: 'ws_upgrade', status: 101, durationMs: null });
    const { entries } = await bus.request<{ entries: unknown[] }>(subjects.rpc('ui.connections'), { query: { limit: 10 } });
    expect(entries).toEqual([
      { id: 3, ...record('/ws/v1/events'), kind: 'ws_upgrade', status: 101, durationMs: null },
      {
        id: 2,
        at: '2026-12-01T10:20:30.457Z',
        kind: 'failure',
        method: 'GET',
        path: '/api/v1/api/v1/health',
        status: 404,
        origin: null,
        sessionId: null,
        errorCode: 'malformed_path',
        malformed: true,
        hint: '/api/v1/health',
        durationMs: null,
      },
      {
        id: 1,
        at: '2026-12-01T10:20:30.456Z',
        kind: 'route',
        method: 'GET',
        path: '/api/v1/bridge/info',
        status: 200,
        origin: 'http://127.0.0.1:1',
        sessionId: 'ses_1',
        errorCode: null,
        malformed: false,
        hint: null,
        durationMs: 0.37,
      },
    ]);
  });

  it('overwrites the oldest row of its ring once full', () => {
    const ring = new ConnectionRing(2);
    for (const path of ['/a', '/b', '/c']) ring.add(0, 'route', 'GET', path, 200, null, null, null, null, 1);
    expect(ring.newest(10).map(({ id, path }) => [id, path])).toEqual([[3, '/c'], [2, '/b']]);
  });
});
