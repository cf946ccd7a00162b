import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { waitFor } from 'xstate';
import type { McpConnectionContext } from '../../../machines/mcpConnection.machine.js';
import { createInProcessBus, subjectsFor, type Bus, type Subjects } from '../../../src/bus/index.js';
import { ConfigStore } from '../../../src/config/config-store.js';
import type { BridgeConfigInput } from '../../../src/config/config-schema.js';
import { resolvePaths } from '../../../src/config/paths.js';
import type { Principal } from '../../../src/contract/principal.js';
import { ROUTE_LIST } from '../../../src/contract/routes/index.js';
import type { McpConnector } from '../../../src/mcp/connector.js';
import { startActorRuntime, type ActorRuntime } from '../../../src/runtime/actor-runtime.js';
import { systemClock } from '../../../src/runtime/clock.js';
import { CapabilityRegistry } from '../../../src/services/capabilities.js';
import { createMcpCapability } from '../../../src/services/mcp/mcp-module.js';
import type { BaseContext, RunningService } from '../../../src/services/service-context.js';

export const USER: Principal = { kind: 'session', sessionId: 'ses_test', origin: 'http://127.0.0.1:1' };

/** Fast supervision for tests: restarts after 5, 10, 20 ms, at most twice. */
export const FAST_MCP: BridgeConfigInput['mcp'] = {
  reconnect: { maxAttempts: 2, initialDelayMs: 5, maxDelayMs: 20 },
  connectTimeoutMs: 5_000,
  pingIntervalMs: 0,
  closeGraceMs: 200,
};

export interface McpHarness {
  bus: Bus;
  subjects: Subjects;
  runtime: ActorRuntime;
  capabilities: CapabilityRegistry;
  home: string;
  registryFile: string;
  /** Sends a route request on the bus exactly as the HTTP layer would. */
  call<T = unknown>(routeId: string, request: { params?: object; query?: object; body?: unknown; principal?: Principal }): Promise<T>;
  /** Every `mcp.*` contract event published so far, in order. */
  events: Array<{ type: string; data: unknown }>;
  /** Every actor transition published so far. */
  transitions: unknown[];
  stop(options?: { keepHome?: boolean }): Promise<void>;
}

/**
 * The MCP capability on a real in-process bus and actor runtime, without HTTP: what the
 * service tests drive. `connector` is usually the in-memory twin.
 */
export async function startMcpHarness(options: { connector: McpConnector; config?: BridgeConfigInput; home?: string }): Promise<McpHarness> {
  const home = options.home ?? (await mkdtemp(path.join(os.tmpdir(), 'osloop-mcp-')));
  const bus = createInProcessBus();
  const subjects = subjectsFor('test');
  const paths = resolvePaths({ OSLOOP_BRIDGE_HOME: home });
  const config = ConfigStore.fromValue(paths.configFile, { mcp: FAST_MCP, ...options.config });
  const capabilities = new CapabilityRegistry();
  const events: Array<{ type: string; data: unknown }> = [];
  const transitions: unknown[] = [];
  bus.subscribe(subjects.event('mcp.>'), (message) => void events.push({ type: message.subject.slice(subjects.event('').length), data: message.data }));
  bus.subscribe(subjects.allActors, (message) => void transitions.push(message.data));

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
  const module = await createMcpCapability({ connector: options.connector })(base);
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
    capabilities,
    home,
    registryFile: path.join(home, 'mcp-servers.json'),
    call: (routeId, request) => {
      // Parsed with the route's schemas, as the HTTP layer does before dispatching.
      const route = ROUTE_LIST.find((r) => r.id === routeId);
      if (!route) throw new Error(`no route ${routeId}`);
      const params = route.params ? route.params.parse(request.params ?? {}) : {};
      const body = route.body ? route.body.parse(request.body ?? {}) : undefined;
      return bus.request(subjects.rpc(routeId), { principal: request.principal ?? USER, params, query: request.query ?? {}, body }, { timeoutMs: 10_000 });
    },
    events,
    transitions,
    async stop({ keepHome = false } = {}) {
      await service.stop();
      runtime.root.stop();
      await bus.drain();
      if (!keepHome && !options.home) await rm(home, { recursive: true, force: true });
    },
  };
}

/** Waits until the server's actor has announced `state`. */
export async function waitForState(h: McpHarness, serverId: string, state: string, timeout = 10_000): Promise<McpConnectionContext> {
  const actor = h.runtime.child(serverId);
  if (!actor) throw new Error(`no actor ${serverId}`);
  const snapshot = await waitFor(actor, (s) => (s.context as McpConnectionContext).publicState === state, { timeout });
  return snapshot.context as McpConnectionContext;
}

/** Registers an HTTP server reached at `url` (a twin key) and waits until it is connected. */
export async function connectHttp(h: McpHarness, name: string, url: string, options: object = {}): Promise<string> {
  const { serverId } = await h.call<{ serverId: string }>('mcp.servers.register', { body: { name, transport: { type: 'streamable-http', url }, options } });
  await h.call('mcp.servers.connect', { params: { serverId } });
  await waitForState(h, serverId, 'connected');
  return serverId;
}
