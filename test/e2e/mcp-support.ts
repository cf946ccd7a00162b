import { vi } from 'vitest';
import type { BridgeConfigInput } from '../../src/config/config-schema.js';
import { createBridgeClient, type BridgeClient, type BridgeEvent } from '../../src/client/index.js';
import { startTestBridge, type TestBridge } from '../support/test-bridge.js';

/** Quick supervision, so restarts and give-ups happen within a test's time. */
export const E2E_MCP: BridgeConfigInput['mcp'] = {
  reconnect: { maxAttempts: 2, initialDelayMs: 50, maxDelayMs: 200 },
  pingIntervalMs: 0,
  closeGraceMs: 500,
};

export interface McpE2e {
  bridge: TestBridge;
  client: BridgeClient;
  /** Every `mcp.*` and `permission.*` event the web app received, in order. */
  events: BridgeEvent[];
  /** Resolves with the first received event (seen so far or later) that matches. */
  waitForEvent(match: (event: BridgeEvent) => boolean, timeout?: number): Promise<BridgeEvent>;
  /** Resolves once `serverId` announced `state` (now or earlier than `after` events ago). */
  waitForState(serverId: string, state: string, options?: { after?: number; timeout?: number }): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/** A real bridge over HTTP/WS, used through the typed client as the web app would. */
export async function startMcpE2e(config: BridgeConfigInput = {}): Promise<McpE2e> {
  // The inherited PATH unless a test asks for the login shell's (see mcp-login-path.test.ts).
  // The web app may answer its own prompts here (the user's choice on the Settings page).
  const bridge = await startTestBridge({ dev: true, config: { mcp: E2E_MCP, commandPath: 'inherited', approvals: { localOnly: false }, ...config } });
  const client = createBridgeClient({ baseUrl: bridge.baseUrl, origin: bridge.origin, clientName: 'mcp e2e' });
  await client.handshake();
  const events: BridgeEvent[] = [];
  const stream = client.events({ types: ['mcp.>', 'permission.>'] });
  const pump = (async () => {
    for await (const event of stream) events.push(event);
  })().catch(() => {});

  // Generous: a server's start on a loaded two-core machine took over 20 s once (CI stays
  // deterministic; only a failure waits this long).
  const waitForEvent: McpE2e['waitForEvent'] = async (match, timeout = 45_000) => {
    let found: BridgeEvent | undefined;
    await vi.waitFor(
      () => {
        found = events.find(match);
        if (!found) throw new Error(`no matching event yet; got ${events.map((e) => e.type).join(', ')}`);
      },
      { timeout, interval: 10 },
    );
    return found!;
  };

  return {
    bridge,
    client,
    events,
    waitForEvent,
    async waitForState(serverId, state, options = {}) {
      const from = options.after ?? 0;
      const event = await waitForEvent((e) => {
        const data = e.data as { serverId?: string; state?: string };
        return e.type === 'mcp.server.state_changed' && data.serverId === serverId && data.state === state && events.indexOf(e) >= from;
      }, options.timeout);
      return event.data as Record<string, unknown>;
    },
    async close() {
      client.close();
      await pump;
      await bridge.close();
    },
  };
}
