import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createUser } from '@nats-io/nkeys';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureFleetInfrastructure, followJobEvents, type ReceivedJobEvent } from '../../src/fleet/client/index.js';
import type { FleetJobEvent } from '../../src/fleet/job-events.js';
import { signText } from '../../src/fleet/signing.js';
import { JOB_EVENTS_STREAM, fleetSubjectsFor } from '../../src/fleet/subjects.js';
import { requireNatsServer, startNatsServer, type NatsServerHandle } from '../support/nats-server.js';
import { newMachineIdentity } from './fleet-harness.js';

const { skip } = requireNatsServer();

describe.skipIf(skip)('following job events with a durable consumer (real JetStream)', () => {
  let dir: string;
  let server: NatsServerHandle;
  let nc: NatsConnection;
  let js: JetStreamClient;
  const machine = newMachineIdentity();
  const orchestrator = createUser().getPublicKey();

  /** Publishes one job event the way the bridge does (signed by the machine); resolves with its stream sequence. */
  const publish = async (runId: string, type: string, status: string): Promise<number> => {
    const event: FleetJobEvent = { v: 1, machine: machine.machineId, orchestrator, runId, type, status, exitCode: null, errorCode: null, at: new Date().toISOString() };
    const body = JSON.stringify(event);
    const ack = await js.publish(fleetSubjectsFor(machine.machineId).jobEvent(runId), JSON.stringify({ body, sig: signText(machine.identity, 'event', body) }));
    return ack.seq;
  };
  /** A follower that hands its events over one at a time, in the order it received them. */
  const follow = async (durable: string) => {
    const received: ReceivedJobEvent[] = [];
    const waiters: Array<() => void> = [];
    const follower = await followJobEvents(js, { orchestrator, durable, onEvent: (event) => (received.push(event), waiters.shift()?.()) });
    const nth = async (n: number): Promise<ReceivedJobEvent> => {
      while (received.length < n) await new Promise<void>((resolve) => waiters.push(resolve));
      return received[n - 1]!;
    };
    return { follower, received, nth };
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'osloop-job-follower-'));
    server = await startNatsServer({ jetstreamDir: dir });
    nc = await connect({ servers: server.url });
    js = jetstream(nc);
    await ensureFleetInfrastructure(nc, { replicas: 1 });
  }, 60_000);

  afterAll(async () => {
    await nc?.close();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('resumes at once, in stream order, with an event a previous follower received but never acknowledged', async () => {
    const durable = 'resume-unacked';
    const { follower: first } = await follow(durable);
    await first.stop();
    const createdSeq = await publish('run-1', 'bridge.job.created', 'awaiting_permission');
    // A follower that died holding the event: delivered to it, never acknowledged (the node-loss
    // flake: a stopped follower's pull request kept receiving events on another cluster node).
    const limbo = await (await js.consumers.get(JOB_EVENTS_STREAM, durable)).next({ expires: 20_000 });
    expect(limbo?.seq).toBe(createdSeq);
    const completedSeq = await publish('run-1', 'bridge.job.updated', 'completed');

    const resumed = await follow(durable);
    // Bound to the old consumer state, the created event would come back only after the ack wait (30 s), after the completion.
    expect(await resumed.nth(1)).toMatchObject({ type: 'bridge.job.created', streamSeq: createdSeq });
    expect(await resumed.nth(2)).toMatchObject({ status: 'completed', streamSeq: completedSeq });
    await resumed.follower.stop();
  }, 60_000);

  it('does not hand a resumed follower the events it acknowledged before stopping', async () => {
    const durable = 'resume-acked';
    const handledSeq = await publish('run-2', 'bridge.job.created', 'awaiting_permission');
    const first = await follow(durable);
    await first.nth(1);
    const jsm = await jetstreamManager(nc);
    // Acks are not confirmed to the client: wait until the server has it before "restarting".
    await expect.poll(async () => (await jsm.consumers.info(JOB_EVENTS_STREAM, durable)).ack_floor.stream_seq, { timeout: 20_000 }).toBeGreaterThanOrEqual(handledSeq);
    await first.follower.stop();
    const nextSeq = await publish('run-2', 'bridge.job.updated', 'completed');
    const resumed = await follow(durable);
    expect(await resumed.nth(1)).toMatchObject({ runId: 'run-2', streamSeq: nextSeq });
    await resumed.follower.stop();
  }, 60_000);
});
