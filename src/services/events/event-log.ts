import { EVENT_SCHEMAS, type EventEnvelope } from '../../contract/events.js';
import type { Logger } from 'pino';
import type { Bus } from '../../bus/bus.js';
import type { Subjects } from '../../bus/subjects.js';
import type { Clock } from '../../runtime/clock.js';
import type { RunningService } from '../service-context.js';

export interface ReplayRequest {
  since: number;
}

export interface ReplayReply {
  events: EventEnvelope[];
  /** The oldest seq still held; a `since` below `oldest - 1` has lost events. */
  oldest: number;
  lastSeq: number;
}

/**
 * Numbers every contract event (`seq` strictly increasing per bridge), keeps the latest ones in a
 * ring for `since` replay, and republishes them numbered for the sockets.
 */
export function startEventLog(options: { bus: Bus; subjects: Subjects; clock: Clock; capacity: number; logger: Logger }): RunningService & {
  lastSeq(): number;
} {
  const { bus, subjects, capacity } = options;
  const ring: EventEnvelope[] = new Array(capacity);
  let seq = 0;
  const prefixLength = subjects.allEvents.length - 1; // strip `osloop.<id>.event.`

  const live = bus.subscribe(subjects.allEvents, (message) => {
    const type = message.subject.slice(prefixLength) as keyof typeof EVENT_SCHEMAS;
    const schema = EVENT_SCHEMAS[type];
    if (!schema) {
      options.logger.error({ type }, 'dropped an event of unknown type');
      return;
    }
    // A payload that breaks its schema is a bridge bug: report it, but do not hide the event.
    const checked = schema.safeParse(message.data);
    if (!checked.success) options.logger.error({ type, issues: checked.error.issues }, 'event payload does not match its schema');
    seq += 1;
    const envelope = { seq, type, ts: new Date(options.clock.now()).toISOString(), data: message.data } as EventEnvelope;
    ring[seq % capacity] = envelope;
    bus.publish(subjects.sequenced(type), envelope);
  });

  const replay = bus.serve(subjects.internal('events.replay'), (data): ReplayReply => {
    const { since } = data as ReplayRequest;
    const oldest = Math.max(1, seq - capacity + 1);
    const from = Math.max(since + 1, oldest);
    const events: EventEnvelope[] = [];
    for (let s = from; s <= seq; s++) events.push(ring[s % capacity]!);
    return { events, oldest: seq === 0 ? 1 : oldest, lastSeq: seq };
  });

  return {
    lastSeq: () => seq,
    stop() {
      live.unsubscribe();
      replay.unsubscribe();
    },
  };
}
