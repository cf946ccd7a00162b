import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { waitFor } from 'xstate';
import { createBus } from './bus/index.js';
import type { Bus } from './bus/bus.js';
import { subjectsFor } from './bus/subjects.js';
import { ConfigStore } from './config/config-store.js';
import { removeStaleTempFiles } from './config/stale-temp-files.js';
import type { BridgeConfigInput } from './config/config-schema.js';
import { resolvePaths, type BridgePaths } from './config/paths.js';
import { buildHttpApp } from './http/app.js';
import type { FleetEdge } from './fleet/fleet-edge.js';
import { createLogger } from './logging.js';
import { packagePath } from './package-root.js';
import { startActorRuntime, type ActorRuntime } from './runtime/actor-runtime.js';
import { systemClock, type Clock } from './runtime/clock.js';
import { startBridgeService } from './services/bridge/bridge-service.js';
import { CapabilityRegistry } from './services/capabilities.js';
import { awakeCapability } from './services/awake/awake-module.js';
import { filesystemCapability } from './services/filesystem/filesystem-module.js';
import { systemCapability } from './services/system/system-module.js';
import { ConnectionRing, startConnectionLog } from './services/connection-log.js';
import { startEventLog } from './services/events/event-log.js';
import { mcpCapability } from './services/mcp/mcp-module.js';
import type { BaseContext, CapabilityFactory, RunningService, ServiceContext } from './services/service-context.js';
import { createPrincipalVerifierSeam } from './services/session/principal-verifier.js';
import { startSessionService } from './services/session/session-service.js';
import { commandPermissionsModule } from './services/commands/commands-module.js';
import { createUiModule } from './services/ui/ui-module.js';
import { fleetPairingModule } from './fleet/pairing-service.js';
import { writeUiToken } from './services/ui-token.js';
import type { Principal } from './contract/principal.js';
import { BRIDGE_VERSION } from './version.js';
import { memoizeByConfig } from './http/policy-memo.js';

export interface StartBridgeOptions {
  /** Overrides the configured port for this run only (the persisted value is unchanged). */
  port?: number;
  /** Joins the fleet at this NATS server for this run (see docs/fleet.md); the actor bus stays in-process. */
  natsUrl?: string;
  dev?: boolean;
  /** Extra allowed origins for this run, on top of the config file's. */
  allowOrigins?: string[];
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  clock?: Clock;
  /** Used instead of the config file (tests); still validated. */
  config?: BridgeConfigInput;
}

export interface RunningBridge {
  bridgeId: string;
  bus: Bus;
  runtime: ActorRuntime;
  paths: BridgePaths;
  config: ConfigStore;
  uiToken: string;
  /** The fleet edge, when the bridge joined a fleet (`--nats` or `nats.servers`). */
  fleet: FleetEdge | null;
  /** `listening` or `bind_failed`: the bridge keeps running either way. */
  bindState(): string;
  port(): number;
  /** The address the listener is bound to (always loopback), or null when not listening. */
  listenAddress(): string | null;
  /** Asks the bridge actor to try the same configured port again. */
  retryBind(): Promise<string>;
  stop(reason?: string): Promise<void>;
}

/**
 * The capabilities this bridge offers, each a module with its machines' effects and its services.
 * Adding a capability is one line here.
 */
const CAPABILITY_MODULES: CapabilityFactory[] = [
  // CAPABILITY-MODULES: one line per capability below.
  commandPermissionsModule(),
  createUiModule,
  fleetPairingModule,
  mcpCapability,
  awakeCapability,
  filesystemCapability,
  systemCapability,
];

const UI_ROOT = packagePath('ui', 'resources');

/** Starts a whole bridge: config, bus, actor runtime, services and the HTTP/WS listener. */
export async function startBridge(options: StartBridgeOptions = {}): Promise<RunningBridge> {
  const env = options.env ?? process.env;
  const logger = options.logger ?? createLogger();
  const clock = options.clock ?? systemClock;
  const paths = resolvePaths(env);
  // A bridge killed in the middle of a save (SIGKILL, power loss) left its temp file behind.
  if (!options.config) await removeStaleTempFiles(paths.configFile);
  const config = options.config ? ConfigStore.fromValue(paths.configFile, options.config) : await ConfigStore.open(paths.configFile);
  const natsUrl = options.natsUrl ?? env.OSLOOP_NATS_URL ?? config.current.natsUrl;
  const fleetServers = natsUrl ? [natsUrl] : config.current.nats.servers;
  // The actor bus never leaves this process: NATS, when configured, is only the fleet edge.
  const bus = await createBus();
  const bridgeId = randomBytes(6).toString('hex');
  const subjects = subjectsFor(bridgeId);
  const port = options.port ?? config.current.port;
  const allowOrigins = options.allowOrigins ?? [];
  const uiToken = await writeUiToken(paths.uiTokenFile);

  // The guard verifies tokens by a direct call into the session service, plugged in when it starts.
  const verifier = createPrincipalVerifierSeam();
  // The HTTP layer writes its connection records straight into the log's ring (issue 15).
  const connections = new ConnectionRing();
  const app = await buildHttpApp({
    bus,
    subjects,
    logger,
    verifyPrincipal: verifier.verify,
    connections,
    uiRoot: UI_ROOT,
    // Read on every request: built again only when the config object changes (a settings
    // update replaces it), not per request (an object and an array each time, issue 15).
    policy: memoizeByConfig(() => config.current, (current) => ({
      port,
      dev: options.dev ?? false,
      allowedOrigins: [...current.allowedOrigins, ...allowOrigins],
      bodyLimitBytes: current.bodyLimitBytes,
      handshakeRateLimit: current.handshakeRateLimit,
      wsQueueLimit: current.wsQueueLimit,
    })),
  });
  await app.ready();

  const base: BaseContext = {
    bridgeId,
    version: BRIDGE_VERSION,
    startedAt: clock.now(),
    launch: { portFromCommandLine: options.port !== undefined, dev: options.dev ?? false, allowOrigins },
    bus,
    subjects,
    config,
    paths,
    clock,
    logger,
    capabilities: new CapabilityRegistry(),
  };
  const modules = await Promise.all(CAPABILITY_MODULES.map((create) => create(base)));

  const runtime = startActorRuntime({
    bus,
    subjects,
    input: {
      bridgeId,
      version: BRIDGE_VERSION,
      configuredPort: port,
      trayMode: config.current.trayMode,
      defaultCommandTimeoutMs: config.current.defaultCommandTimeoutMs,
      promptTimeoutMs: config.current.promptTimeoutMs,
      bus: bus.kind,
    },
    bindListener: (p) => listenOnce(app.server, p),
    closeListener: () => app.close(),
    children: Object.assign({}, ...modules.map((m) => m.children ?? {})),
  });

  const ctx: ServiceContext = { ...base, runtime };
  const services: RunningService[] = [
    startEventLog({
      bus,
      subjects,
      clock,
      capacity: config.current.eventBufferSize,
      maxBytes: config.current.eventBufferBytes,
      logger,
      ownerOf: (id) => {
        // A run, prompt or install names who asked for it; an awake lock, its holder.
        const context = (runtime.child(id)?.getSnapshot() as { context?: { requestedBy?: Principal; holder?: Principal } } | undefined)?.context;
        return context?.requestedBy ?? context?.holder;
      },
      // An MCP server's actor carries its owner (its `requestedBy` is only whoever connected last).
      serverOriginOf: (serverId) => {
        const context = (runtime.child(serverId)?.getSnapshot() as { context?: { serverId?: unknown; origin?: string | null } } | undefined)?.context;
        return context?.serverId === serverId ? context.origin : undefined;
      },
    }),
    startConnectionLog({ bus, subjects, ring: connections }),
    startBridgeService(ctx),
    startSessionService(ctx, { uiToken, verifier }),
  ];
  for (const module of modules) services.push(await module.start(ctx));
  // Loaded only for a fleet: a bridge without one never imports the NATS modules.
  const fleet = fleetServers.length > 0
    ? await (await import('./fleet/fleet-edge.js')).startFleetEdge({ bus, subjects, config, dataDir: paths.dataDir, servers: fleetServers, logger })
    : null;
  if (fleet) services.push(fleet);

  const settled = async () => {
    const snapshot = await waitFor(runtime.root, (s) => s.matches('listening') || s.matches('bind_failed') || s.status === 'done');
    return String(snapshot.value);
  };
  const state = await settled();
  if (state === 'bind_failed') logger.error({ port, error: runtime.root.getSnapshot().context.bindError }, `could not bind 127.0.0.1:${port}; the port stays configured and is never changed`);
  else logger.info({ port, bridgeId, bus: bus.kind }, `osloop-bridge listening on http://127.0.0.1:${port}`);

  let stopping: Promise<void> | undefined;
  return {
    bridgeId,
    bus,
    runtime,
    paths,
    config,
    uiToken,
    fleet,
    bindState: () => String(runtime.root.getSnapshot().value),
    port: () => port,
    listenAddress: () => {
      const address = app.server.address();
      return address && typeof address === 'object' ? address.address : null;
    },
    retryBind: async () => {
      runtime.root.send({ type: 'listener.retry' });
      return settled();
    },
    stop: (reason = 'stop requested') => {
      stopping ??= (async () => {
        runtime.root.send({ type: 'bridge.stop', reason });
        await waitFor(runtime.root, (s) => s.status === 'done', { timeout: 10_000 }).catch(() => {});
        for (const service of services.reverse()) await service.stop();
        runtime.root.stop();
        await bus.drain();
      })();
      return stopping;
    },
  };
}

/** Listens on exactly `port` on loopback; the error of a failed attempt is the bind error. */
function listenOnce(server: import('node:http').Server, port: number): Promise<{ port: number }> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = () => {
      server.off('error', onError);
      const address = server.address();
      resolve({ port: typeof address === 'object' && address ? address.port : port });
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host: '127.0.0.1', port, exclusive: true });
  });
}
