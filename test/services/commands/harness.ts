import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createInProcessBus, subjectsFor, type Bus, type Subjects } from '../../../src/bus/index.js';
import { ConfigStore } from '../../../src/config/config-store.js';
import type { BridgeConfigInput } from '../../../src/config/config-schema.js';
import { resolvePaths } from '../../../src/config/paths.js';
import type { Principal } from '../../../src/contract/principal.js';
import { ROUTE_LIST } from '../../../src/contract/routes/index.js';
import { MemoryProcessRunner } from '../../../src/processes/memory-runner.js';
import { startActorRuntime, type ActorRuntime } from '../../../src/runtime/actor-runtime.js';
import { systemClock } from '../../../src/runtime/clock.js';
import { CapabilityRegistry } from '../../../src/services/capabilities.js';
import { commandPermissionsModule } from '../../../src/services/commands/commands-module.js';
import type { BaseContext, RunningService } from '../../../src/services/service-context.js';

export const USER: Principal = { kind: 'session', sessionId: 'ses_test', origin: 'http://127.0.0.1:1' };

export interface CommandsHarness {
  bus: Bus;
  subjects: Subjects;
  runtime: ActorRuntime;
  runner: MemoryProcessRunner;
  capabilities: CapabilityRegistry;
  home: string;
  /** Every contract event published so far, in order. */
  events: Array<{ type: string; data: Record<string, unknown> }>;
  /** Sends a route request on the bus exactly as the HTTP layer would (after validating it). */
  call<T = Record<string, unknown>>(routeName: string, request?: { params?: object; query?: object; body?: unknown; principal?: Principal }): Promise<T>;
  stop(): Promise<void>;
}

/**
 * The command-permissions capability on a real in-process bus, actor runtime and SQLite file,
 * with the in-memory process runner: no HTTP, no processes. The test plays the processes.
 */
export async function startCommandsHarness(options: { config?: BridgeConfigInput } = {}): Promise<CommandsHarness> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'osloop-commands-'));
  const bus = createInProcessBus();
  const subjects = subjectsFor('test');
  const paths = resolvePaths({ OSLOOP_BRIDGE_HOME: home });
  const config = ConfigStore.fromValue(paths.configFile, { commandPath: 'inherited', ...options.config });
  const capabilities = new CapabilityRegistry();
  const runner = new MemoryProcessRunner();
  const events: CommandsHarness['events'] = [];
  bus.subscribe(subjects.allEvents, (message) => void events.push({ type: message.subject.slice(subjects.event('').length), data: message.data as Record<string, unknown> }));

  const base: BaseContext = {
    bridgeId: 'test',
    version: '0.0.0',
    startedAt: Date.now(),
    bus,
    subjects,
    config,
    paths,
    clock: systemClock,
    logger: pino({ level: 'silent' }),
    capabilities,
  };
  const module = await commandPermissionsModule({ runner, searchPath: async () => process.env.PATH ?? '' })(base);
  const runtime = startActorRuntime({
    bus,
    subjects,
    input: { bridgeId: 'test', version: '0.0.0', configuredPort: 1, trayMode: false, defaultCommandTimeoutMs: 1_000, promptTimeoutMs: 1_000, bus: 'embedded' },
    bindListener: async (port) => ({ port }),
    closeListener: async () => {},
    children: module.children ?? {},
  });
  const service: RunningService = await module.start({ ...base, runtime });

  return {
    bus,
    subjects,
    runtime,
    runner,
    capabilities,
    home,
    events,
    call(routeName, request = {}) {
      const route = ROUTE_LIST.find((r) => r.id === routeName);
      if (!route) throw new Error(`no route ${routeName}`);
      const parse = (schema: typeof route.body, value: unknown) => (schema ? schema.parse(value ?? {}) : value);
      return bus.request(subjects.rpc(route.id), {
        principal: request.principal ?? USER,
        params: parse(route.params, request.params),
        query: parse(route.query, request.query),
        body: route.body ? route.body.parse(request.body) : undefined,
      });
    },
    async stop() {
      runtime.root.send({ type: 'bridge.stop', reason: 'test' });
      await service.stop();
      runtime.root.stop();
      await bus.drain();
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** An execute body whose template equals its resolved values. */
export function executeBody(command: string, args: string[] = [], extra: Record<string, unknown> = {}) {
  return { command, args, template: { command, args }, title: `Run ${command}`, reason: 'a service test', ...extra };
}

/** Resolves once `probe` returns a value, yielding to the event loop between tries (no timers). */
export async function eventually<T>(probe: () => T | undefined | Promise<T | undefined>, tries = 2_000): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const value = await probe();
    if (value) return value;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('the condition never held');
}
