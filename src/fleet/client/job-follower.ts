import { DeliverPolicy, type JetStreamClient } from '@nats-io/jetstream';
import { z } from 'zod';
import type { FleetJobEvent } from '../job-events.js';
import { verifyText } from '../signing.js';
import { ALL_JOB_EVENTS, JOB_EVENTS_STREAM, parseJobEventSubject } from '../subjects.js';

/** A job event as the orchestrator receives it: verified, with its stream sequence to resume from. */
export type ReceivedJobEvent = FleetJobEvent & { streamSeq: number };

const eventSchema = z.object({
  v: z.literal(1),
  machine: z.string(),
  orchestrator: z.string(),
  runId: z.string(),
  type: z.string(),
  status: z.string().nullable(),
  exitCode: z.number().nullable(),
  errorCode: z.string().nullable(),
  at: z.string(),
});

/** Verifies one stream message: signed by the machine its subject names, about the run it names. */
export function verifyJobEvent(subject: string, data: string): FleetJobEvent | null {
  const where = parseJobEventSubject(subject);
  if (!where) return null;
  try {
    const wire = z.object({ body: z.string(), sig: z.string() }).parse(JSON.parse(data));
    if (!verifyText(where.machineId, 'event', wire.body, wire.sig)) return null;
    const event = eventSchema.parse(JSON.parse(wire.body));
    if (event.machine !== where.machineId || event.runId !== where.runId) return null;
    return event as FleetJobEvent;
  } catch {
    return null;
  }
}

/**
 * Reads the job stream from `fromSeq` (inclusive; default: the start) with an ordered consumer,
 * handing each verified event of `orchestrator`'s jobs to `onEvent`. A restarted orchestrator
 * passes the last `streamSeq` it handled + 1 and misses nothing. Forged messages are dropped
 * and counted.
 */
export async function followJobEvents(
  js: JetStreamClient,
  options: { orchestrator: string; fromSeq?: number; onEvent: (event: ReceivedJobEvent) => void; onForged?: (subject: string) => void },
): Promise<{ stop(): Promise<void> }> {
  const consumer = await js.consumers.get(JOB_EVENTS_STREAM, {
    filter_subjects: ALL_JOB_EVENTS,
    ...(options.fromSeq ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: options.fromSeq } : { deliver_policy: DeliverPolicy.All }),
  });
  const messages = await consumer.consume();
  void (async () => {
    for await (const msg of messages) {
      const event = verifyJobEvent(msg.subject, msg.string());
      if (!event) {
        options.onForged?.(msg.subject);
        continue;
      }
      if (event.orchestrator !== options.orchestrator) continue;
      options.onEvent({ ...event, streamSeq: msg.seq });
    }
  })();
  return { stop: async () => void (await messages.close()) };
}
