import type { JetStreamClient } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import type { Bus, Subscription } from '../bus/bus.js';
import type { Subjects } from '../bus/subjects.js';
import type { Principal } from '../contract/principal.js';
import type { FleetIdentity } from './identity.js';
import { signText } from './signing.js';
import { fleetSubjectsFor } from './subjects.js';

/**
 * Forwards the events of fleet jobs to the JetStream job stream, signed by the machine, so an
 * orchestrator that restarts reads on from its last sequence without a gap. Only jobs a paired
 * orchestrator started are forwarded, and only a projection of their events (ids, status, exit
 * code, error code): never output, never a resolved value. Details come sealed, on request.
 */
export interface FleetJobEvent {
  v: 1;
  machine: string;
  orchestrator: string;
  runId: string;
  /** The contract event it reports, e.g. `bridge.job.updated` or `system.command.completed`. */
  type: string;
  status: string | null;
  exitCode: number | null;
  errorCode: string | null;
  at: string;
}

/** Event types worth forwarding; output chunks are not (output is fetched sealed). */
const FORWARDED = /^(bridge\.job\.(created|updated)|system\.command\.(started|completed|failed|terminated)|system\.tool\.install_(started|completed|failed))$/;
/** Events of runs not (yet) known as fleet jobs kept briefly: a job's first event can beat the execute reply. */
const PENDING_LIMIT = 256;
const RETRY_DELAY_MS = 500;

export interface JobEventForwarder {
  /** Declares `runId` a job of `orchestrator`; events already seen for it are sent now. */
  track(runId: string, orchestrator: string): void;
  /** Resolves once every event received so far is acknowledged by JetStream (or the forwarder stopped). */
  flushed(): Promise<void>;
  stop(): Promise<void>;
}

export function startJobEventForwarder(deps: { bus: Bus; subjects: Subjects; js: JetStreamClient; identity: FleetIdentity; logger: Logger; now?: () => Date }): JobEventForwarder {
  const { bus, subjects, js, identity, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const fleet = fleetSubjectsFor(identity.machineId);
  const owners = new Map<string, string>();
  const pending = new Map<string, Array<Omit<FleetJobEvent, 'orchestrator'>>>();
  let chain: Promise<void> = Promise.resolve();
  let stopped = false;
  let sent = 0;

  const publish = (event: FleetJobEvent): void => {
    const body = JSON.stringify(event);
    const wire = JSON.stringify({ body, sig: signText(identity.identity, 'event', body) });
    const msgID = `${identity.machineId}:${++sent}:${event.runId}`;
    // One at a time and in order; a node failing over is retried (msgID makes a retry idempotent).
    chain = chain.then(async () => {
      for (let attempt = 1; !stopped; attempt++) {
        try {
          await js.publish(fleet.jobEvent(event.runId), wire, { msgID, timeout: 5_000 });
          return;
        } catch (error) {
          if (attempt === 1 || attempt % 20 === 0) logger.warn({ err: error, runId: event.runId, attempt }, 'fleet job event not acknowledged yet; retrying');
          await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
        }
      }
    });
  };

  const prefix = `${subjects.root}.event.`;
  const subscription: Subscription = bus.subscribe(subjects.allEvents, (message) => {
    const type = message.subject.slice(prefix.length);
    if (!FORWARDED.test(type)) return;
    const data = (message.data ?? {}) as Record<string, unknown>;
    const runId = typeof data.runId === 'string' ? data.runId : typeof data.installId === 'string' ? data.installId : undefined;
    if (!runId) return;
    const requestedBy = data.requestedBy as Principal | undefined;
    if (requestedBy?.kind === 'fleet' && !owners.has(runId)) owners.set(runId, requestedBy.orchestrator);
    const event: Omit<FleetJobEvent, 'orchestrator'> = {
      v: 1,
      machine: identity.machineId,
      runId,
      type,
      status: typeof data.status === 'string' ? data.status : typeof data.state === 'string' ? data.state : null,
      exitCode: typeof data.exitCode === 'number' ? data.exitCode : null,
      errorCode: typeof data.errorCode === 'string' ? data.errorCode : null,
      at: now().toISOString(),
    };
    const orchestrator = owners.get(runId);
    if (orchestrator) return publish({ ...event, orchestrator });
    const waiting = pending.get(runId) ?? [];
    waiting.push(event);
    pending.set(runId, waiting);
    if (pending.size > PENDING_LIMIT) pending.delete(pending.keys().next().value as string);
  });

  return {
    track(runId, orchestrator) {
      if (owners.has(runId)) return;
      owners.set(runId, orchestrator);
      for (const event of pending.get(runId) ?? []) publish({ ...event, orchestrator });
      pending.delete(runId);
    },
    flushed: () => chain,
    async stop() {
      subscription.unsubscribe();
      // Give what is queued a chance to be acknowledged before the connection drains.
      await Promise.race([chain, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
      stopped = true;
    },
  };
}
