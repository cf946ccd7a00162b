import type { Logger } from 'pino';
import type { Bus } from '../bus/bus.js';
import type { Subjects } from '../bus/subjects.js';
import type { ConfigStore } from '../config/config-store.js';
import type { BridgePaths } from '../config/paths.js';
import type { ActorRuntime, ChildImplementations } from '../runtime/actor-runtime.js';
import type { Clock } from '../runtime/clock.js';
import type { CapabilityRegistry } from './capabilities.js';

/** What exists before the actor runtime starts: enough to build machine effects. */
export interface BaseContext {
  bridgeId: string;
  version: string;
  startedAt: number;
  bus: Bus;
  subjects: Subjects;
  config: ConfigStore;
  paths: BridgePaths;
  clock: Clock;
  logger: Logger;
  capabilities: CapabilityRegistry;
  /** What the command line changed for this run only, so the settings page can say so. */
  launch?: LaunchOverrides;
}

/** Command-line overrides of this process: `--port`, `--dev`, `--allow-origin`. */
export interface LaunchOverrides {
  portFromCommandLine: boolean;
  dev: boolean;
  allowOrigins: readonly string[];
}

/** Everything a service may use. Services are the only code that turns requests into actor events. */
export interface ServiceContext extends BaseContext {
  runtime: ActorRuntime;
}

/** A started service: stopping it releases its subscriptions, actors and processes. */
export interface RunningService {
  stop(): Promise<void> | void;
}

/**
 * One capability of the bridge, plugged into `src/bridge.ts` with one line: the effects its
 * machines need (given before the runtime starts) and the services that serve its routes.
 */
export interface CapabilityModule {
  readonly name: string;
  /** Effects (actors, actions) of this capability's machines, merged over their placeholders. */
  readonly children?: ChildImplementations;
  start(ctx: ServiceContext): Promise<RunningService> | RunningService;
}

/** Builds a capability module from what exists before the runtime starts. */
export type CapabilityFactory = (base: BaseContext) => CapabilityModule | Promise<CapabilityModule>;
