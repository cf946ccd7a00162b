import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createInProcessBus, subjectsFor, type Bus, type Subjects } from '../../src/bus/index.js';
import { ConfigStore } from '../../src/config/config-store.js';
import type { BridgeConfigInput } from '../../src/config/config-schema.js';
import { resolvePaths } from '../../src/config/paths.js';
import type { Principal } from '../../src/contract/principal.js';
import { ROUTE_LIST } from '../../src/contract/routes/index.js';
import { startActorRuntime, type ActorRuntime } from '../../src/runtime/actor-runtime.js';
import { systemClock, type Clock } from '../../src/runtime/clock.js';
import { CapabilityRegistry } from '../../src/services/capabilities.js';
import type { BaseContext, CapabilityFactory, RunningService } from '../../src/services/service-context.js';

export const USER: Principal = { kind: 'session', sessionId: 'ses_test', origin: 'http://127.0.0.1:1' };
export const UI: Principal = { kind: 'ui' };

export interface CapabilityHarness {
  bus: Bus;
  subjects: Subjects;
  runtime: ActorRuntime;
  capabilities: CapabilityRegistry;
  home: string;
  /** Sends a route request on the bus exactly as the HTTP layer would, after its schemas. */
  call<T = unknown>(routeId: string, request?: { params?: object; query?: object; body?: unknown; principal?: Principal; prefer?: { respondAsync: boolean } }): Promise<T>;
  /** Contract events published so far (those matching `events`, all by default), in order. */
  events: Array<{ type: string; data: unknown }>;
  /** Every actor transition published so far. */
  transitions: unknown[];
  /** Stops the bridge actor as the bridge does (children first), then the module; removes the home unless it was given or `keepHome`. */
  stop(options?: { keepHome?: boolean }): Promise<void>;
}

export interface CapabilityHarnessOptions {
  config?: BridgeConfigInput;
  clock?: Clock;
  /** A home to reuse (restart tests); it is then never removed. */
  home?: string;
  /** Which contract events to record, as a subject pattern (`mcp.>`); all by default. */
  events?: string;
  /** Called with the bus before the capability starts: stand-ins of other capabilities serve here. */
  onBus?: (bus: ReturnType<typeof createInProcessBus>, subjects: ReturnType<typeof subjectsFor>) => void;
}

/**
 * One capability module on a real in-process bus and actor runtime, without HTTP or the other
 * capabilities: what the service tests drive, usually with in-memory seams.
 */
export async function startCapabilityHarness(factory: CapabilityFactory, options: CapabilityHarnessOptions = {}): Promise<CapabilityHarness> {
  const home = options.home ?? (await mkdtemp(path.join(os.tmpdir(), 'osloop-capability-')));
  const bus = createInProcessBus();
  const subjects = subjectsFor('test');
  options.onBus?.(bus, subjects);
  const paths = resolvePaths({ OSLOOP_BRIDGE_HOME: home });
  const config = ConfigStore.fromValue(paths.configFile, options.config ?? {});
  const capabilities = new CapabilityRegistry();
  const events: Array<{ type: string; data: unknown }> = [];
  const transitions: unknown[] = [];
  bus.subscribe(options.events ? subjects.event(options.events) : subjects.allEvents, (message) => void events.push({ type: message.subject.slice(subjects.event('').length), data: message.data }));
  bus.subscribe(subjects.allActors, (message) => void transitions.push(message.data));
  const clock = options.clock ?? systemClock;

  const base: BaseContext = {
    bridgeId: 'test',
    version: '0.0.0',
    startedAt: clock.now(),
    bus,
    subjects,
    config,
    paths,
    clock,
    logger: pino({ level: 'silent' }),
    capabilities,
  };
  const module = await factory(base);
  const runtime = startActorRuntime({
    bus,
    subjects,
    input: { bridgeId: 'test', version: '0.0.0', configuredPort: 1, trayMode: false, defaultCommandTimeoutMs: 1_000, promptTimeoutMs: 1_000, bus: 'embedded' },
    bindListener: async (port) => ({ port }),
    closeListener: async () => {},
    children: module.children ?? {},
  });
  const service: RunningService = await module.start({ ...base, runtime });

  let stopping: Promise<void> | undefined;
  return {
    bus,
    subjects,
    runtime,
    capabilities,
    home,
    call: (routeId, request = {}) => {
      const route = ROUTE_LIST.find((r) => r.id === routeId);
      if (!route) throw new Error(`no route ${routeId}`);
      const params = route.params ? route.params.parse(request.params ?? {}) : {};
      const query = route.query ? route.query.parse(request.query ?? {}) : {};
      const body = route.body ? route.body.parse(request.body ?? {}) : undefined;
      const prefer = request.prefer ? { prefer: request.prefer } : {};
      return bus.request(subjects.rpc(routeId), { principal: request.principal ?? USER, params, query, body, ...prefer }, { timeoutMs: 10_000 });
    },
    events,
    transitions,
    stop({ keepHome = false } = {}) {
      // Once, as the bridge's own stop: a test that stops early is stopped again by its afterEach.
      stopping ??= (async () => {
        runtime.root.send({ type: 'bridge.stop', reason: 'test finished' });
        await service.stop();
        runtime.root.stop();
        await bus.drain();
        if (!keepHome && !options.home) await rm(home, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}
