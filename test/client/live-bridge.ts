import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { startBridge, type RunningBridge } from '../../src/bridge.js';
import type { BridgeConfigInput } from '../../src/config/config-schema.js';

/** The web app's origin in these tests; dev mode allows it. */
export const TEST_ORIGIN = 'http://localhost:5173';

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface LiveBridge {
  bridge: RunningBridge;
  port: number;
  baseUrl: string;
  home: string;
  /** Starts another bridge on the same port and home (after `bridge.stop()`). */
  restart(): Promise<RunningBridge>;
  dispose(): Promise<void>;
}

/** A real bridge on a free loopback port with a throw-away home, silent, in dev mode. */
export async function startLiveBridge(config: BridgeConfigInput = {}): Promise<LiveBridge> {
  const port = await freePort();
  const home = await mkdtemp(path.join(tmpdir(), 'osloop-client-'));
  const start = () => startBridge({ port, env: { OSLOOP_BRIDGE_HOME: home }, dev: true, config, logger: pino({ level: 'silent' }) });
  const live: LiveBridge = {
    bridge: await start(),
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    home,
    async restart() {
      live.bridge = await start();
      return live.bridge;
    },
    async dispose() {
      await live.bridge.stop();
      await rm(home, { recursive: true, force: true });
    },
  };
  return live;
}
