import { AckPolicy, DeliverPolicy, type JetStreamClient } from '@nats-io/jetstream';
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
 * Reads the job stream, handing each verified event of `orchestrator`'s jobs to `onEvent`.
 * With `durable`, a replicated durable consumer of that name keeps the position: an
 * orchestrator restarted (even while a NATS node is down) resumes right after the last event it
 * handled. Without it, an ordered consumer reads from `fromSeq` (inclusive; default: the start).
 * Forged messages are dropped and reported to `onForged`.
 */
export async function followJobEvents(
  js: JetStreamClient,
  options: { orchestrator: string; fromSeq?: number; durable?: string; setupTimeoutMs?: number; onEvent: (event: ReceivedJobEvent) => void; onForged?: (subject: string) => void },
): Promise<{ stop(): Promise<void> }> {
  const start = options.fromSeq ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: options.fromSeq } : { deliver_policy: DeliverPolicy.All };
  // Right after a node is lost the stream may still be electing a leader: setting up the
  // consumer fails until it has one, so it is tried again for a while.
  const giveUpAt = Date.now() + (options.setupTimeoutMs ?? 30_000);
  let consumer: Awaited<ReturnType<JetStreamClient['consumers']['get']>>;
  // Kept across attempts: a durable deleted by a failed attempt is re-created where it was.
  const resume = { from: start };
  for (;;) {
    try {
      consumer = options.durable ? await durableConsumer(js, options.durable, resume) : await js.consumers.get(JOB_EVENTS_STREAM, { filter_subjects: ALL_JOB_EVENTS, ...start });
      break;
    } catch (error) {
      if (Date.now() > giveUpAt) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  const messages = await consumer.consume();
  void (async () => {
    for await (const msg of messages) {
      const event = verifyJobEvent(msg.subject, msg.string());
      if (!event) {
        options.onForged?.(msg.subject);
        if (options.durable) msg.ack();
        continue;
      }
      if (event.orchestrator === options.orchestrator) options.onEvent({ ...event, streamSeq: msg.seq });
      // A durable consumer remembers what was handled: a restart resumes after it.
      if (options.durable) msg.ack();
    }
  })();
  return { stop: async () => void (await messages.close()) };
}

/**
 * The durable consumer `name`, (re)created to start at the first event not acknowledged (explicit
 * acks, all job events); on first use, at `start`.
 *
 * Why not bind the existing consumer: its server-side state outlives the follower that used it.
 * A pull request of a stopped follower stays queued on the consumer's leader until it expires
 * (30 s) when the follower's server is another cluster node (nats-server 2.9 does not see that
 * remote interest go), and every event published meanwhile is delivered to that dead inbox and
 * comes back only after the ack wait, out of order. A restarted orchestrator then saw a job's
 * later events before its `bridge.job.created` (the node-loss test's flake). Re-creating the
 * consumer at its acknowledged floor drops those deliveries: what was not acknowledged comes again,
 * in stream order, at once. One follower per durable name at a time.
 */
async function durableConsumer(js: JetStreamClient, name: string, resume: { from: { deliver_policy: DeliverPolicy; opt_start_seq?: number } }) {
  const jsm = await js.jetstreamManager(false);
  const existing = await jsm.consumers.info(JOB_EVENTS_STREAM, name).catch(() => null);
  if (existing) {
    const floor = existing.ack_floor.stream_seq;
    resume.from =
      floor > 0
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: floor + 1 }
        : { deliver_policy: existing.config.deliver_policy, ...(existing.config.opt_start_seq ? { opt_start_seq: existing.config.opt_start_seq } : {}) };
    await jsm.consumers.delete(JOB_EVENTS_STREAM, name);
  }
  await jsm.consumers.add(JOB_EVENTS_STREAM, { durable_name: name, ack_policy: AckPolicy.Explicit, filter_subject: ALL_JOB_EVENTS, ...resume.from });
  return js.consumers.get(JOB_EVENTS_STREAM, name);
}
