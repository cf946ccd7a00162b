import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handshake } from '../support/test-bridge.js';
import { openFrames } from '../support/ws-frames.js';
import { startApi, type Api } from './commands-support.js';

interface RunRow {
  runId: string;
  state: string;
}

/** Runs as a resource: listed, read, long-polled, and owned by the bridge rather than a session. */
describe('command runs end to end', () => {
  let api: Api;
  const finished: string[] = [];

  beforeAll(async () => {
    api = await startApi({ config: { commandPath: 'inherited' } });
    for (const word of ['one', 'two', 'three']) {
      const execute = await api.execute('echo', [word]);
      await api.resolve(String(execute.body.promptId), 'allow_once');
      await api.waitRun(String(execute.body.runId));
      finished.push(String(execute.body.runId));
    }
  });
  afterAll(async () => {
    await api?.bridge.close();
  });

  it('lists runs newest first, paged with an opaque cursor', async () => {
    const first = await api.call<{ runs: RunRow[]; nextCursor: string }>('GET', '/api/v1/system/commands/runs?limit=2');
    const second = await api.call<{ runs: RunRow[]; nextCursor: string | null }>('GET', `/api/v1/system/commands/runs?limit=2&cursor=${first.body.nextCursor}`);
    const ids = [...first.body.runs, ...second.body.runs].map((r) => r.runId);
    expect(ids.slice(0, 3)).toEqual([...finished].reverse());
    expect((await api.call('GET', '/api/v1/system/commands/runs?cursor=bm9wZQ')).status).toBe(400);
  });

  it('filters the list by state', async () => {
    const waiting = await api.execute('echo', ['waiting']);
    const completed = await api.call<{ runs: RunRow[] }>('GET', '/api/v1/system/commands/runs?state=completed');
    expect(completed.body.runs.every((r) => r.state === 'completed')).toBe(true);
    expect(completed.body.runs.map((r) => r.runId)).toEqual(expect.arrayContaining(finished));
    const pending = await api.call<{ runs: RunRow[] }>('GET', '/api/v1/system/commands/runs?state=awaiting_permission,running');
    expect(pending.body.runs.map((r) => r.runId)).toEqual([waiting.body.runId]);
    await api.call('POST', `/api/v1/system/commands/runs/${String(waiting.body.runId)}/terminate`);
  });

  it('long-polls with waitMs until the run ends instead of answering at once', async () => {
    const execute = await api.execute('sh', ['-c', 'read line; echo "got $line"'], { stdin: 'go\n' });
    const runId = String(execute.body.runId);
    const polled = api.waitRun(runId);
    await api.resolve(String(execute.body.promptId), 'allow_once');
    expect((await polled).body).toMatchObject({ state: 'completed', stdout: { data: 'got go\n', ended: true } });
  });

  it('answers a long-poll with the live run when waitMs passes first', async () => {
    const execute = await api.execute('echo', ['unanswered']);
    const runId = String(execute.body.runId);
    const polled = await api.call('GET', `/api/v1/system/commands/runs/${runId}?waitMs=50`);
    expect(polled.body).toMatchObject({ state: 'awaiting_permission' });
    await api.call('POST', `/api/v1/system/commands/runs/${runId}/terminate`);
  });

  it('answers 404 for an unknown run, and for the id of another kind of actor', async () => {
    expect((await api.call('GET', '/api/v1/system/commands/runs/run_unknown')).body).toMatchObject({ error: { code: 'not_found' } });
    const waiting = await api.execute('echo', ['ids']);
    const promptId = String(waiting.body.promptId);
    expect((await api.call('GET', `/api/v1/system/commands/runs/${promptId}`)).status).toBe(404);
    expect((await api.call('POST', `/api/v1/system/commands/runs/${promptId}/terminate`)).status).toBe(404);
    expect((await api.resolve(String(waiting.body.runId), 'allow_once')).status).toBe(404);
    await api.call('POST', `/api/v1/system/commands/runs/${String(waiting.body.runId)}/terminate`);
  });

  it('keeps a run going when its page reloads: a new session reattaches to its events with since', async () => {
    const firstSocket = await openFrames(`${api.bridge.baseUrl.replace('http', 'ws')}/ws/v1/events?sessionToken=${api.headers['x-osloop-bridge-token']}`, api.bridge.origin);
    const ready = (await firstSocket.until((frames) => frames.some((f) => f.type === 'ready'))).find((f) => f.type === 'ready')!;
    const execute = await api.execute('sh', ['-c', 'echo before; read line; echo after'], {
      stdin: 'x\n',
    });
    const runId = String(execute.body.runId);
    firstSocket.socket.close(); // the page reloads

    await api.resolve(String(execute.body.promptId), 'allow_once');
    const fresh = await handshake(api.bridge);
    const since = Number(ready.lastSeq);
    const reattached = await openFrames(`${api.bridge.baseUrl.replace('http', 'ws')}/ws/v1/events?sessionToken=${fresh.token}&since=${since}&types=system.command.*`, api.bridge.origin);
    try {
      const frames = await reattached.until((all) => all.some((f) => f.type === 'system.command.completed' && (f.data as RunRow).runId === runId));
      const output = frames.filter((f) => f.type === 'system.command.stdout' && (f.data as RunRow).runId === runId).map((f) => (f.data as { chunk: string }).chunk);
      expect(output.join('')).toBe('before\nafter\n');
    } finally {
      reattached.socket.close();
    }
  });
});
