import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createInProcessBus } from '../../../src/bus/in-process-bus.js';
import { subjectsFor } from '../../../src/bus/subjects.js';
import type { EventEnvelope } from '../../../src/contract/events.js';
import { startEventLog, type ReplayReply } from '../../../src/services/events/event-log.js';

const subjects = subjectsFor('t1');
const bus = createInProcessBus();
let log: ReturnType<typeof startEventLog> | undefined;
afterEach(() => log?.stop());

function startLog(capacity: number, maxBytes?: number) {
  log = startEventLog({ bus, subjects, clock: { now: () => 0 }, capacity, ...(maxBytes ? { maxBytes } : {}), logger: pino({ level: 'silent' }) });
  return log;
}

async function publishExpired(n: number) {
  const numbered: EventEnvelope[] = [];
  const sub = bus.subscribe(subjects.allSequenced, (m) => void numbered.push(m.data as EventEnvelope));
  for (let i = 0; i < n; i++) bus.publish(subjects.event('session.expired'), { sessionId: `ses_${i}` });
  await new Promise((resolve) => setTimeout(resolve, 0));
  await expect.poll(() => numbered.length).toBe(n);
  sub.unsubscribe();
  return numbered;
}

describe('event log', () => {
  it('numbers events with a strictly increasing seq and republishes them', async () => {
    startLog(100);
    const numbered = await publishExpired(5);
    expect(numbered.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(numbered[0]).toMatchObject({ type: 'session.expired', data: { sessionId: 'ses_0' }, ts: '1970-01-01T00:00:00.000Z' });
  });

  it('replays everything after since', async () => {
    startLog(100);
    await publishExpired(5);
    const replay = await bus.request<ReplayReply>(subjects.internal('events.replay'), { since: 3 });
    expect(replay.events.map((e) => e.seq)).toEqual([4, 5]);
    expect(replay.lastSeq).toBe(5);
  });

  it('keeps only the newest `capacity` events and says which is the oldest', async () => {
    startLog(4);
    await publishExpired(10);
    const replay = await bus.request<ReplayReply>(subjects.internal('events.replay'), { since: 0 });
    expect(replay.events.map((e) => e.seq)).toEqual([7, 8, 9, 10]);
    expect(replay.oldest).toBe(7);
  });

  it('also drops the oldest events once their data exceeds the byte budget', async () => {
    startLog(1_000, 64 * 1024);
    const numbered: EventEnvelope[] = [];
    const sub = bus.subscribe(subjects.allSequenced, (m) => void numbered.push(m.data as EventEnvelope));
    for (let i = 0; i < 10; i++) bus.publish(subjects.event('system.command.stdout'), { runId: 'run_1', offset: i * 20_000, bytes: 20_000, chunk: 'x'.repeat(20_000) });
    await expect.poll(() => numbered.length).toBe(10);
    sub.unsubscribe();
    const replay = await bus.request<ReplayReply>(subjects.internal('events.replay'), { since: 0 });
    expect(replay.events.length).toBeLessThanOrEqual(4);
    expect(replay.events.at(-1)!.seq).toBe(10);
    expect(replay.oldest).toBe(replay.events[0]!.seq);
  });
});
