import { vi } from 'vitest';
import type { StartBridgeOptions } from '../../src/bridge.js';
import { createBridgeClient, type BridgeClient, type BridgeEvent } from '../../src/client/index.js';
import { startTestBridge, type TestBridge } from '../support/test-bridge.js';

/** A real bridge, a web-app client with a session, and a client for the bridge's own UI. */
export interface ClientBridge {
  bridge: TestBridge;
  app: BridgeClient;
  ui: BridgeClient;
  close(): Promise<void>;
}

/** Starts a bridge on a free port and connects both clients (the app hand-shakes). */
export async function startClientBridge(options: StartBridgeOptions = {}): Promise<ClientBridge> {
  const bridge = await startTestBridge(options);
  const app = createBridgeClient({ baseUrl: bridge.baseUrl, origin: bridge.origin, clientName: 'e2e' });
  await app.handshake();
  const ui = createBridgeClient({ baseUrl: bridge.baseUrl, origin: bridge.origin, uiToken: bridge.uiToken });
  return {
    bridge,
    app,
    ui,
    async close() {
      app.close();
      ui.close();
      await bridge.close();
    },
  };
}

/** Collects the events of `types` from the start of the bridge's buffer, over the real socket. */
export function collectEvents(client: BridgeClient, types: string[]) {
  const events: BridgeEvent[] = [];
  const stream = client.events({ types, since: 0 });
  void (async () => {
    for await (const event of stream) events.push(event);
  })().catch(() => {});
  return {
    events,
    /** Waits until an event of `type` matching `where` has arrived, and returns it. */
    async next(type: string, where: (data: Record<string, unknown>) => boolean = () => true): Promise<Record<string, unknown>> {
      return vi.waitFor(
        () => {
          const found = events.find((event) => event.type === type && where(event.data as Record<string, unknown>));
          if (!found) throw new Error(`no ${type} event yet; got ${events.map((e) => e.type).join(', ')}`);
          return found.data as Record<string, unknown>;
        },
        { timeout: 10_000, interval: 20 },
      );
    },
    stop: () => void stream.return?.(),
  };
}
