import { z } from 'zod';
import { EVENT_SCHEMAS, type EventEnvelope } from '../../contract/events.js';
import type { Logger } from 'pino';
import type { Bus } from '../../bus/bus.js';
import type { Subjects } from '../../bus/subjects.js';
import type { Principal } from '../../contract/principal.js';
import type { Clock } from '../../runtime/clock.js';
import { createAudienceTracker } from './event-audience.js';
import { outputBytesOf } from './output-bytes.js';
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
export function startEventLog(options: {
  bus: Bus;
  subjects: Subjects;
  clock: Clock;
  capacity: number;
  maxBytes?: number;
  logger: Logger;
  /** Who asked for the live actor `id` (a run, a prompt), for events that name only an id. */
  ownerOf?: (id: string) => Principal | undefined;
  /** Whose the MCP server `serverId` is (its registrant's origin), for its events; undefined: unknown. */
  serverOriginOf?: (serverId: string) => string | null | undefined;
}): RunningService & {
  lastSeq(): number;
} {
  const { bus, subjects, capacity } = options;
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  // A queue of the newest events: `head` is the index of the oldest one still held.
  let held: Array<{ envelope: EventEnvelope; bytes: number }> = [];
  let head = 0;
  let heldBytes = 0;
  let seq = 0;
  const prefixLength = subjects.allEvents.length - 1; // strip `osloop.<id>.event.`
  const audienceOf = createAudienceTracker(options.ownerOf ?? (() => undefined), options.serverOriginOf);

  const hold = (envelope: EventEnvelope) => {
    // An output chunk also holds its raw bytes (for binary sockets): they count too.
    const bytes = approximateBytes(envelope.data) + (outputBytesOf(envelope.data)?.length ?? 0);
    held.push({ envelope, bytes });
    heldBytes += bytes;
    // Bounded by count and by bytes: 10,000 output chunks must not pin gigabytes.
    while (held.length - head > 1 && (held.length - head > capacity || heldBytes > maxBytes)) {
      heldBytes -= held[head]!.bytes;
      held[head] = undefined as never;
      head++;
    }
    if (head > 4096 && head * 2 > held.length) {
      held = held.slice(head);
      head = 0;
    }
  };

  const live = bus.subscribe(subjects.allEvents, (message) => {
    const type = message.subject.slice(prefixLength) as keyof typeof EVENT_SCHEMAS;
    const schema = checkerOf(type);
    if (!schema) {
      options.logger.error({ type }, 'dropped an event of unknown type');
      return;
    }
    // A payload that breaks its schema is a bridge bug: report it, but do not hide the event.
    const checked = schema.safeParse(message.data);
    if (!checked.success) options.logger.error({ type, issues: checked.error.issues }, 'event payload does not match its schema');
    seq += 1;
    const audience = audienceOf(type, message.data);
    const envelope = { seq, type, ts: new Date(options.clock.now()).toISOString(), data: message.data, ...(audience ? { audience } : {}) } as EventEnvelope;
    hold(envelope);
    bus.publish(subjects.sequenced(type), envelope);
  });

  const replay = bus.serve(subjects.internal('events.replay'), (data): ReplayReply => {
    const { since } = data as ReplayRequest;
    const oldest = head < held.length ? held[head]!.envelope.seq : seq + 1;
    const events: EventEnvelope[] = [];
    for (let i = Math.max(head, head + (since + 1 - oldest)); i < held.length; i++) events.push(held[i]!.envelope);
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

/**
 * Every event is checked against its schema: each schema is compiled (`z.compile`) the first time
 * its type is seen, so the check costs a generated function call rather than a walk of the schema.
 */
const checkers = new Map<string, z.ZodType>();
function checkerOf(type: string): z.ZodType | undefined {
  let checker = checkers.get(type);
  if (!checker && Object.hasOwn(EVENT_SCHEMAS, type)) {
    checker = z.compile(EVENT_SCHEMAS[type as keyof typeof EVENT_SCHEMAS] as z.ZodType);
    checkers.set(type, checker);
  }
  return checker;
}

/** Cheap size estimate of an event's data: its strings dominate (output chunks, paths). */
function approximateBytes(data: unknown, depth = 0): number {
  if (typeof data === 'string') return data.length;
  if (data === null || typeof data !== 'object' || depth > 3) return 8;
  let total = 16;
  for (const value of Object.values(data as Record<string, unknown>)) total += 8 + approximateBytes(value, depth + 1);
  return total;
}
