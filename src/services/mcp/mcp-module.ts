import path from 'node:path';
import { removeStaleTempFiles } from '../../config/stale-temp-files.js';
import { BridgeError } from '../../contract/errors.js';
import type { McpConnector } from '../../mcp/connector.js';
import { LazySdkConnector } from '../../mcp/lazy-sdk-connector.js';
import { LOGIN_SHELL_TIMEOUT_MS, resolveLoginPath } from '../../processes/login-path.js';
import type { CapabilityFactory, CapabilityModule, RunningService, ServiceContext } from '../service-context.js';
import { openBrowser } from '../../cli/open.js';
import { CallersInFlight } from './callers-in-flight.js';
import { CallsInFlight } from './calls-in-flight.js';
import { connectionEffect } from './connection-effect.js';
import { LiveConnections } from './live-connections.js';
import { createCallTool } from './mcp-calls.js';
import { createMcpRequests } from './mcp-requests.js';
import { serveMcpRoutes, serveMcpRoutesUnavailable } from './mcp-routes.js';
import { McpServers } from './mcp-servers.js';
import { McpOAuth } from './oauth/mcp-oauth.js';
import { ServerNotifications } from './server-notifications.js';
import { ServerRequests } from './server-requests.js';
import { permissionEffect } from './permission-effect.js';
import { CorruptRegistryError, McpRegistryStore, REGISTRY_FILE_NAME } from './registry-store.js';
import { ServerDirectory } from './server-directory.js';

export interface McpCapabilityOptions {
  /** How servers are reached; the SDK over stdio/HTTP unless a test hands in the twin. */
  connector?: McpConnector;
  /** Opens an OAuth consent page for the local UI; the default browser unless a test records it. */
  openUrl?: (url: string) => Promise<void>;
}

/**
 * The `mcp_proxy` capability: the server registry, one `mcpConnection` actor per server, and
 * the routes. A corrupt registry file makes the capability unavailable (every route answers 503
 * with the reason) and is never overwritten.
 */
export function createMcpCapability(options: McpCapabilityOptions = {}): CapabilityFactory {
  return async (base): Promise<CapabilityModule> => {
    const { bus, subjects, config, clock, logger } = base;
    const settings = () => config.current.mcp;
    const file = path.join(base.paths.dataDir, REGISTRY_FILE_NAME);
    // Stdio servers find their command where command runs do: on the login shell's PATH.
    const stopping = new AbortController();
    let loginPath: Promise<string> | undefined;
    const searchPath = () =>
      (loginPath ??= config.current.commandPath === 'login_shell' ? loginPathOrInherited(stopping.signal) : Promise.resolve(process.env.PATH ?? ''));
    const connector = options.connector ?? new LazySdkConnector({ searchPath });
    const live = new LiveConnections();

    let store: McpRegistryStore | null = null;
    let loadError: CorruptRegistryError | null = null;
    try {
      // A bridge killed in the middle of a save left its temp file behind: only a bridge writes it.
      await removeStaleTempFiles(file);
      store = await McpRegistryStore.open(file);
    } catch (error) {
      if (!(error instanceof CorruptRegistryError)) throw error;
      loadError = error;
    }
    const directory = store ? new ServerDirectory(store, () => settings().stderrTailLines) : null;
    const notifications = new ServerNotifications({ bus, subjects, clock });
    // The server-request actors need the runtime, which exists only once the capability starts.
    let runtimeRef: ServiceContext['runtime'] | undefined;
    let serverRequests: ServerRequests | undefined;
    const oauth = await McpOAuth.open({
      dataDir: base.paths.dataDir,
      record: (serverId) => directory?.record(serverId),
      port: () => runtimeRef?.root.getSnapshot().context.activePort ?? config.current.port,
      openUrl: options.openUrl ?? ((url) => openBrowser(url)),
    });

    return {
      name: 'mcp',
      children: {
        mcpConnection: {
          actors: {
            connection: connectionEffect({
              connector,
              clock,
              live,
              settings,
              spec: (serverId) => directory?.spec(serverId) ?? null,
              tail: (serverId) => directory!.tail(serverId),
              template: (serverId) => directory?.record(serverId)?.transport,
              serverRequests: (serverId) => (request, signal) => {
                if (!serverRequests) return Promise.reject(new Error('The MCP capability is not started.'));
                return serverRequests.handlerFor(serverId)(request, signal);
              },
              onNotification: (serverId, notification) => notifications.deliver(serverId, notification),
              onSessionEnd: (serverId) => serverRequests?.cancelAll(serverId),
              oauth: { provider: (serverId, spec) => oauth.provider(serverId, spec), consents: oauth.consents },
            }),
            requestPermission: permissionEffect({ bus, subjects, record: (serverId) => directory?.record(serverId) }),
          },
        },
      },
      async start(ctx): Promise<RunningService> {
        if (!directory) {
          const reason = loadError?.message ?? 'The MCP server registry could not be loaded.';
          logger.error({ file, reason: loadError?.reason }, reason);
          ctx.capabilities.set('mcp_proxy', { available: false, reason });
          const subscriptions = serveMcpRoutesUnavailable(bus, subjects, () => new BridgeError('unavailable', reason, { details: { file, reason: loadError?.reason } }));
          return { stop: () => subscriptions.forEach((subscription) => subscription.unsubscribe()) };
        }
        runtimeRef = ctx.runtime;
        const oauthSecrets = {
          save: (serverId: string, serverUrl: string, secret: string | undefined) => oauth.saveClientSecret(serverId, serverUrl, secret),
          forget: (serverId: string) => {
            notifications.forget(serverId);
            return oauth.forget(serverId);
          },
        };
        const servers = new McpServers({ directory, runtime: ctx.runtime, live, bus, subjects, clock, settings, oauthSecrets });
        const callers = new CallersInFlight();
        serverRequests = new ServerRequests({
          bus,
          subjects,
          clock,
          runtime: ctx.runtime,
          timeoutMs: () => settings().serverRequestTimeoutMs,
          serverName: (serverId) => directory.record(serverId)?.name ?? serverId,
          audienceFor: (serverId) => callers.audienceFor(serverId),
          mayUseServer: (serverId, principal) => servers.mayUse(serverId, principal),
        });
        const calls = new CallsInFlight();
        const callTool = createCallTool({ servers, live, bus, subjects, settings, calls, callers });
        const requests = createMcpRequests({ servers, live, bus, subjects, callers });
        const subscriptions = serveMcpRoutes(bus, subjects, { servers, callTool, requests, calls, notifications, serverRequests, oauth });
        ctx.capabilities.set('mcp_proxy', { available: true });
        await servers.startAll();
        return {
          async stop() {
            stopping.abort();
            for (const subscription of subscriptions) subscription.unsubscribe();
            await servers.stopAll();
          },
        };
      },
    };
  };
}

/**
 * The login shell's PATH, or the inherited one if the shell has not answered in time. The bound
 * is ours because a shell whose rc file leaves a background job holding its output open never
 * finishes for `resolveLoginPath` (seen here: interactive bash with pyenv), and a connect must
 * not wait forever for it.
 */
function loginPathOrInherited(signal: AbortSignal): Promise<string> {
  const inherited = process.env.PATH ?? '';
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(inherited), LOGIN_SHELL_TIMEOUT_MS + 1_000);
    timer.unref();
    resolveLoginPath({ signal }).then(
      (found) => {
        clearTimeout(timer);
        resolve(found);
      },
      () => {
        clearTimeout(timer);
        resolve(inherited);
      },
    );
  });
}

/** The capability as `src/bridge.ts` registers it. */
export const mcpCapability: CapabilityFactory = createMcpCapability();
