import path from 'node:path';
import { waitFor } from 'xstate';
import type { McpConnectionContext } from '../../../machines/mcpConnection.machine.js';
import type { BridgeConfigInput } from '../../../src/config/config-schema.js';
import type { McpConnector } from '../../../src/mcp/connector.js';
import { createMcpCapability } from '../../../src/services/mcp/mcp-module.js';
import { startCapabilityHarness, type CapabilityHarness } from '../capability-harness.js';

export { UI, USER } from '../capability-harness.js';
import { startFakeAuthority } from './fake-authority.js';

/** Fast supervision for tests: restarts after 5, 10, 20 ms, at most twice. */
export const FAST_MCP: BridgeConfigInput['mcp'] = {
  reconnect: { maxAttempts: 2, initialDelayMs: 5, maxDelayMs: 20 },
  connectTimeoutMs: 5_000,
  pingIntervalMs: 0,
  closeGraceMs: 200,
};

export interface McpHarness extends CapabilityHarness {
  registryFile: string;
}

/**
 * The MCP capability on the shared capability harness (real in-process bus and actor runtime,
 * no HTTP), recording only `mcp.*` events. `connector` is usually the in-memory twin.
 */
export async function startMcpHarness(options: {
  connector: McpConnector;
  config?: BridgeConfigInput;
  home?: string;
  userApprovesHttp?: boolean;
  /** Records what the bridge would open in the browser. */
  openUrl?: (url: string) => Promise<void>;
}): Promise<McpHarness> {
  // Every HTTP server needs the user's approval; unless a test plays the authority itself, a
  // stand-in (the permission authority's bus API) opens a prompt and the "user" allows it at once.
  let authority: ReturnType<typeof startFakeAuthority> | undefined;
  let stopped = false;
  const harness = await startCapabilityHarness(createMcpCapability({ connector: options.connector, ...(options.openUrl ? { openUrl: options.openUrl } : {}) }), {
    config: { mcp: FAST_MCP, ...options.config },
    ...(options.home ? { home: options.home } : {}),
    events: 'mcp.>',
    onBus: (bus, subjects) => {
      if (options.userApprovesHttp === false) return;
      const standIn = startFakeAuthority(bus, subjects, (request) => {
        const verdict = standIn.pending();
        if (request.details?.url !== undefined && verdict.outcome === 'pending') setImmediate(() => stopped || standIn.allow(request.subjectId, verdict.promptId));
        return verdict;
      });
      authority = standIn;
    },
  });
  const stop = harness.stop;
  harness.stop = async (stopOptions) => {
    stopped = true;
    authority?.stop();
    await stop(stopOptions);
  };
  return { ...harness, registryFile: path.join(harness.home, 'mcp-servers.json') };
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
