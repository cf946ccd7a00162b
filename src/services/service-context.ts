import type { Logger } from 'pino';
import type { Bus } from '../bus/bus.js';
import type { Subjects } from '../bus/subjects.js';
import type { ConfigStore } from '../config/config-store.js';
import type { BridgePaths } from '../config/paths.js';
import type { ActorRuntime } from '../runtime/actor-runtime.js';
import type { Clock } from '../runtime/clock.js';
import type { CapabilityRegistry } from './capabilities.js';

/** Everything a service may use. Services are the only code that turns requests into actor events. */
export interface ServiceContext {
  bridgeId: string;
  version: string;
  startedAt: number;
  bus: Bus;
  subjects: Subjects;
  runtime: ActorRuntime;
  config: ConfigStore;
  paths: BridgePaths;
  clock: Clock;
  logger: Logger;
  capabilities: CapabilityRegistry;
  /** Set when the bus is a NATS server, for `bridge/info`. */
  natsUrl?: string;
}

/** A started service: stopping it releases its subscriptions, actors and processes. */
export interface RunningService {
  stop(): Promise<void> | void;
}
