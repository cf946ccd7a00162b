import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subjectsFor } from '../../src/bus/subjects.js';
import { rawUntilClosed, upgradeRequest } from '../support/raw-http.js';
import { openFrames } from '../support/ws-frames.js';
import { handshake, startTestBridge, type TestBridge } from '../support/test-bridge.js';

let bridge: TestBridge;
beforeAll(async () => {
  bridge = await startTestBridge({ config: { eventBufferSize: 16, wsQueueLimit: 16 } });
});
afterAll(() => bridge.close());

const wsUrl = (query: string) => `${bridge.baseUrl.replace('http', 'ws')}/ws/v1/events?${query}`;
const events = (frames: Array<Record<string, unknown>>) => frames.filter((f) => typeof f.seq === 'number') as Array<{ seq: number; type: string; data: Record<string, unknown> }>;

/** Each refresh publishes one `session.refreshed` event. */
async function refresh(token: string, times: number) {
  for (let i = 0; i < times; i++) {
    const response = await fetch(`${bridge.baseUrl}/api/v1/session/refresh`, {
      method: 'POST',
      headers: { origin: bridge.origin, 'content-type': 'application/json' },
      body: JSON.stringify({ sessionToken: token }),
    });
    expect(response.status).toBe(200);
  }
}

describe('event stream', () => {
  it('is refused before the upgrade without a token or from a foreign origin', async () => {
    await expect(openFrames(wsUrl(''), bridge.origin)).rejects.toMatchObject({ status: 401 });
    const { token } = await handshake(bridge);
    await expect(openFrames(wsUrl(`sessionToken=${token}`), 'https://evil.example')).rejects.toMatchObject({ status: 403 });
    await expect(openFrames(wsUrl(`sessionToken=${token}&since=-1`), bridge.origin)).rejects.toMatchObject({ status: 400 });
  });

  it('closes the connection of a refused upgrade instead of leaking it', async () => {
    const ended = rawUntilClosed(bridge.port(), upgradeRequest(bridge.port(), bridge.origin, '/ws/v1/events?sessionToken=wrong'));
    expect(await ended).toMatch(/^HTTP\/1\.1 401/);
  });

  it('tells a client resuming from before a restart that it has a gap, then replays the new bridge', async () => {
    const first = await startTestBridge({ keepHome: true });
    const { token: oldToken } = await handshake(first);
    await fetch(`${first.baseUrl}/api/v1/session/refresh`, {
      method: 'POST',
      headers: { origin: first.origin, 'content-type': 'application/json' },
      body: JSON.stringify({ sessionToken: oldToken }),
    });
    const since = 50; // further than the new bridge will have reached
    await first.close();
    const second = await startTestBridge({ home: first.home, port: first.port() });
    try {
      const { token } = await handshake(second);
      const socket = await openFrames(`${second.baseUrl.replace('http', 'ws')}/ws/v1/events?sessionToken=${token}&since=${since}`, second.origin);
      const frames = await socket.until((f) => f.some((x) => x.type === 'ready'));
      expect(frames[0]).toMatchObject({ type: 'replay_gap', requestedSince: since });
      expect(events(frames).map((e) => e.seq)[0]).toBe(1);
      socket.socket.close();
    } finally {
      await second.close();
    }
  });

  it('replays from since and then goes live with strictly increasing seq, no gap, no duplicate', async () => {
    const { token } = await handshake(bridge);
    const first = await openFrames(wsUrl(`sessionToken=${token}`), bridge.origin);
    const ready = (await first.until((f) => f.some((x) => x.type === 'ready')))[0] as { lastSeq: number };
    await refresh(token, 5);
    const live = events(await first.until((f) => events(f).length >= 5));
    first.socket.close();

    // Reconnect from the middle while new events keep arriving.
    const since = live[1]!.seq;
    const second = await openFrames(wsUrl(`sessionToken=${token}&since=${since}`), bridge.origin);
    await refresh(token, 3);
    const seen = events(await second.until((f) => events(f).length >= 6));
    const seqs = seen.map((e) => e.seq);
    expect(seqs[0]).toBe(since + 1);
    expect(seqs).toEqual(seqs.map((_, i) => since + 1 + i));
    expect(ready.lastSeq).toBeLessThan(live[0]!.seq);
    second.socket.close();
  });

  it('filters by type with subject-style wildcards', async () => {
    const { token } = await handshake(bridge);
    const socket = await openFrames(wsUrl(`sessionToken=${token}&types=session.*`), bridge.origin);
    await socket.until((f) => f.some((x) => x.type === 'ready'));
    await handshake(bridge); // session.created
    await refresh(token, 1); // session.refreshed
    const seen = events(await socket.until((f) => events(f).length >= 2));
    expect(seen.every((e) => e.type.startsWith('session.'))).toBe(true);
    socket.socket.close();
  });

  it('sends replay_gap when since is older than the buffer', async () => {
    const { token } = await handshake(bridge);
    await refresh(token, 20); // the buffer holds 16
    const socket = await openFrames(wsUrl(`sessionToken=${token}&since=0`), bridge.origin);
    const frames = await socket.until((f) => f.some((x) => x.type === 'ready'));
    expect(frames[0]).toMatchObject({ type: 'replay_gap', requestedSince: 0 });
    const replayed = events(frames);
    expect(replayed.length).toBe(16);
    socket.socket.close();
  });

  it('closes a consumer that stops reading with 4008 while others see every event, and resumes it with since', async () => {
    const loaded = await startTestBridge({ config: { eventBufferSize: 5_000, wsQueueLimit: 100 } });
    try {
      const { token } = await handshake(loaded);
      // Only the events this test makes: capabilities announce their own at start-up.
      const url = `${loaded.baseUrl.replace('http', 'ws')}/ws/v1/events?sessionToken=${token}&types=session.created`;
      const slow = await openFrames(url, loaded.origin);
      const healthy = await openFrames(url, loaded.origin);
      await slow.until((f) => f.some((x) => x.type === 'ready'));
      await healthy.until((f) => f.some((x) => x.type === 'ready'));
      slow.socket.pause(); // stops reading: kernel buffers fill, then the bridge's live queue

      const total = 1_500;
      const subject = subjectsFor(loaded.bridgeId).event('session.created');
      const padding = 'x'.repeat(20_000);
      for (let i = 0; i < total; i++) {
        loaded.bus.publish(subject, { sessionId: `ses_${i}`, origin: loaded.origin, clientName: padding, expiresAt: new Date().toISOString() });
        // Pace like real output does, and never run more than 40 events ahead of the healthy
        // reader: its live queue (100 frames) then cannot fill however slow this machine is, so
        // only the reader that stopped is cut.
        if (i % 20 === 19) await healthy.until((f) => events(f).length >= i + 1 - 40, 30_000);
      }
      const published = Array.from({ length: total }, (_, i) => `ses_${i}`);
      const idsOf = (list: Array<{ data: Record<string, unknown> }>) => list.map((e) => e.data.sessionId);
      const increasing = (seqs: number[]) => seqs.every((seq, i) => i === 0 || seq > seqs[i - 1]!);

      const seen = events(await healthy.until((f) => events(f).length >= total, 30_000));
      expect(idsOf(seen)).toEqual(published);
      expect(increasing(seen.map((e) => e.seq))).toBe(true);

      slow.socket.resume();
      const { code, reason } = await slow.closed;
      expect(code).toBe(4008);
      const since = Number(/since=(\d+)/.exec(reason)?.[1]);
      const receivedBeforeCut = events(slow.frames);
      expect(receivedBeforeCut.at(-1)?.seq ?? since).toBeLessThanOrEqual(since);

      const resumed = await openFrames(`${url}&since=${since}`, loaded.origin);
      const replayed = events(await resumed.until((f) => f.some((x) => x.type === 'ready'), 30_000));
      // Nothing lost, nothing twice, in order: what came before the cut plus the replay is everything.
      expect(idsOf([...receivedBeforeCut, ...replayed])).toEqual(published);
      resumed.socket.close();
      healthy.socket.close();
    } finally {
      await loaded.close();
    }
  });

  it('closes the socket with 4001 when its session expires', async () => {
    const shortLived = await startTestBridge({ config: { sessionTtlMs: 1_000 } });
    try {
      const { token } = await handshake(shortLived);
      const socket = await openFrames(`${shortLived.baseUrl.replace('http', 'ws')}/ws/v1/events?sessionToken=${token}`, shortLived.origin);
      const { code } = await socket.closed;
      expect(code).toBe(4001);
      const response = await fetch(`${shortLived.baseUrl}/api/v1/bridge/info`, { headers: { origin: shortLived.origin, 'x-osloop-bridge-token': token } });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: { code: 'unauthorized', details: { reason: 'expired' } } });
    } finally {
      await shortLived.close();
    }
  });
});
