import { jetstream } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { Service } from '@nats-io/services';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { Bus, Subscription } from '../bus/bus.js';
import type { Subjects } from '../bus/subjects.js';
import type { ConfigStore } from '../config/config-store.js';
import { fleetConnectionOptions } from './connection-options.js';
import { startEdgeService } from './edge-service.js';
import type { NatsConfig } from './fleet-config.js';
import { loadOrCreateIdentity, type FleetIdentity } from './identity.js';
import { startJobEventForwarder, type JobEventForwarder } from './job-events.js';
import { startPresence } from './presence.js';
import { PRESENCE_BUCKET } from './subjects.js';

/**
 * The fleet edge of one bridge: its NATS connection, its service endpoints, presence and job
 * events. Loaded only when a fleet is configured. The bridge never waits for NATS: the edge
 * connects (and keeps retrying) in the background, and says what is wrong in the log and in
 * its state, never falling back to an anonymous connection.
 */
export type FleetEdgeStatus = 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'stopped';

export interface FleetEdgeState {
  status: FleetEdgeStatus;
  machineId: string;
  servers: string[];
  /** The last connection, authentication or permission error, as a sentence. */
  lastError: string | null;
  pairedOrchestrators: string[];
}

export interface FleetEdge {
  readonly machineId: string;
  state(): FleetEdgeState;
  /** Resolves when the edge is connected and serving (tests, `fleet status`). */
  connected(): Promise<void>;
  stop(): Promise<void>;
}

export interface FleetEdgeDeps {
  bus: Bus;
  subjects: Subjects;
  config: ConfigStore;
  dataDir: string;
  servers: string[];
  logger: Logger;
}

const RETRY_CONNECT_MS = 5_000;

export async function startFleetEdge(deps: FleetEdgeDeps): Promise<FleetEdge> {
  const { bus, subjects, config, logger } = deps;
  const log = logger.child({ component: 'fleet' });
  const natsConfig = (): NatsConfig => config.current.nats;
  const identity: FleetIdentity = await loadOrCreateIdentity(deps.dataDir, (message) => log.warn(message));
  const paired = () => natsConfig().orchestrators.map((o) => o.key);
  let status: FleetEdgeStatus = 'connecting';
  let lastError: string | null = null;
  let stopping = false;
  let nc: NatsConnection | undefined;
  let service: Service | undefined;
  let forwarder: JobEventForwarder | undefined;
  let presence: { stop(): Promise<void> } | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let onConnected: () => void = () => {};
  const connectedOnce = new Promise<void>((resolve) => (onConnected = resolve));

  const fail = (message: string, error?: unknown): void => {
    lastError = message;
    log.error({ err: error, servers: deps.servers }, message);
  };

  const watchStatus = async (connection: NatsConnection): Promise<void> => {
    for await (const s of connection.status()) {
      switch (s.type) {
        case 'disconnect':
          status = 'reconnecting';
          log.warn({ server: s.server }, 'fleet: disconnected from NATS; reconnecting (no limit)');
          break;
        case 'reconnect':
          status = 'connected';
          log.info({ server: s.server }, 'fleet: reconnected to NATS');
          break;
        case 'error':
          // Permission violations arrive here: a server denying a subject the edge needs.
          fail(`fleet: NATS error: ${s.error.message}`, s.error);
          break;
        default:
          break;
      }
    }
  };

  const tryConnect = async (): Promise<void> => {
    if (stopping) return;
    try {
      const options = await fleetConnectionOptions(natsConfig(), deps.servers, identity);
      nc = await connect(options);
    } catch (error) {
      status = 'failed';
      fail(`fleet: could not connect to ${deps.servers.join(', ')}: ${(error as Error).message}. Retrying in ${RETRY_CONNECT_MS / 1000} s; check nats.auth and nats.tls.`, error);
      retryTimer = setTimeout(start, RETRY_CONNECT_MS);
      retryTimer.unref();
      return;
    }
    const connection = nc;
    void watchStatus(connection);
    void connection.closed().then((error) => {
      if (!stopping) {
        status = 'failed';
        fail(`fleet: the NATS connection closed${error ? `: ${error.message}` : ''}`, error);
      }
    });
    const js = jetstream(connection);
    forwarder = startJobEventForwarder({ bus, subjects, js, identity, logger: log });
    let bucket: Promise<KV> | undefined;
    const kv = () => (bucket ??= new Kvm(js).open(PRESENCE_BUCKET).catch((error: unknown) => {
      bucket = undefined;
      throw error;
    }));
    presence = startPresence({ kv, identity, heartbeatMs: natsConfig().heartbeatMs, logger: log });
    const jobs = forwarder;
    service = await startEdgeService({
      nc: connection,
      identity,
      bus,
      subjects,
      logger: log,
      pairedOrchestrators: paired,
      requestWindowMs: natsConfig().requestWindowMs,
      sessionTtlMs: () => natsConfig().sessionTtlMs,
      onJobStarted: (runId, orchestrator) => jobs.track(runId, orchestrator),
    });
    // The service's subscriptions are only queued until the server has them; a round trip makes
    // "connected" mean that a discovery sent from another connection finds this bridge.
    await connection.flush();
    status = 'connected';
    lastError = null;
    log.info({ machineId: identity.machineId, server: connection.getServer(), paired: paired().length }, 'fleet: joined as a NATS service');
    if (paired().length === 0) log.warn('fleet: no orchestrator is paired; every request will be refused. Pair one with `osloop-bridge fleet pair <key>`.');
    onConnected();
  };

  const stateSubscription: Subscription = bus.serve(subjects.internal('fleet.state'), () => state());
  const state = (): FleetEdgeState => ({ status, machineId: identity.machineId, servers: deps.servers, lastError, pairedOrchestrators: paired() });
  // Never an unhandled rejection (it would end the bridge): a failed setup is logged, undone and retried.
  const start = (): void => {
    tryConnect().catch(async (error: unknown) => {
      status = 'failed';
      fail(`fleet: could not start the fleet service: ${(error as Error).message}. Retrying in ${RETRY_CONNECT_MS / 1000} s.`, error);
      await presence?.stop().catch(() => {});
      await forwarder?.stop().catch(() => {});
      if (nc && !nc.isClosed()) await nc.close().catch(() => {});
      if (stopping) return;
      retryTimer = setTimeout(start, RETRY_CONNECT_MS);
      retryTimer.unref();
    });
  };
  start();

  return {
    machineId: identity.machineId,
    state,
    connected: () => connectedOnce,
    async stop() {
      stopping = true;
      clearTimeout(retryTimer);
      stateSubscription.unsubscribe();
      await presence?.stop();
      await service?.stop().catch(() => null);
      await forwarder?.stop();
      if (nc && !nc.isClosed()) await nc.drain().catch(() => {});
      status = 'stopped';
    },
  };
}
