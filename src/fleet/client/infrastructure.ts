import { jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { ALL_JOB_EVENTS, JOB_EVENTS_STREAM, PRESENCE_BUCKET } from '../subjects.js';

/**
 * Creates the fleet's JetStream assets once, from the orchestrator or an admin (bridges only
 * publish to them): the job-event stream and the presence bucket. Replicas 3 on a 3-node
 * cluster keep every acknowledged event through the loss of one node.
 */
export async function ensureFleetInfrastructure(
  nc: NatsConnection,
  options: { replicas?: number; presenceTtlMs?: number; jobEventsMaxAgeMs?: number } = {},
): Promise<void> {
  const replicas = options.replicas ?? 1;
  const jsm = await jetstreamManager(nc);
  const streamConfig = {
    name: JOB_EVENTS_STREAM,
    subjects: [ALL_JOB_EVENTS],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    num_replicas: replicas,
    max_age: (options.jobEventsMaxAgeMs ?? 7 * 24 * 3600_000) * 1_000_000,
    duplicate_window: 120_000 * 1_000_000,
  };
  try {
    await jsm.streams.info(JOB_EVENTS_STREAM);
    await jsm.streams.update(JOB_EVENTS_STREAM, streamConfig);
  } catch {
    await jsm.streams.add(streamConfig);
  }
  await new Kvm(nc).create(PRESENCE_BUCKET, { replicas, history: 1, ttl: options.presenceTtlMs ?? 60_000 });
}
