import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { Writable } from 'node:stream';
import { startBridge, type RunningBridge, type StartBridgeOptions } from '../../src/bridge.js';
import { freePort } from './free-port.js';

export interface TestBridge extends RunningBridge {
  home: string;
  baseUrl: string;
  /** The bridge's own origin: always allowed, so tests can hand-shake with it. */
  origin: string;
  /** Every log line the bridge wrote, for "never logged" assertions. */
  logs: string[];
  /** Stops the bridge and removes its home, unless `keepHome` was asked. */
  close(): Promise<void>;
}

/**
 * A real bridge on a free loopback port with its own temporary home and a captured log.
 * Pass `home` to reuse a home (restart tests) and `keepHome` to keep it after close.
 */
export async function startTestBridge(
  options: StartBridgeOptions & { home?: string; keepHome?: boolean } = {},
): Promise<TestBridge> {
  const home = options.home ?? (await mkdtemp(path.join(os.tmpdir(), 'osloop-test-')));
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      logs.push(String(chunk));
      callback();
    },
  });
  const start = (port: number) =>
    startBridge({
      ...options,
      port,
      env: { ...process.env, ...options.env, OSLOOP_BRIDGE_HOME: home },
      logger: options.logger ?? pino({ level: 'debug' }, sink),
    });
  let port = options.port ?? (await freePort());
  let bridge = await start(port);
  // A port found free can be taken before the bridge binds it (another test, another process):
  // the bridge then stays in bind_failed on it, as it must. A test that asked for no port gets a
  // bridge on a fresh one instead; a test that named its port gets what it asked for.
  for (let attempt = 2; options.port === undefined && bridge.bindState() === 'bind_failed' && attempt <= 3; attempt++) {
    await bridge.stop('its free port was taken before it bound');
    port = await freePort();
    bridge = await start(port);
  }
  return {
    ...bridge,
    home,
    baseUrl: `http://127.0.0.1:${port}`,
    origin: `http://127.0.0.1:${port}`,
    logs,
    async close() {
      await bridge.stop('test finished');
      if (!options.keepHome) await rm(home, { recursive: true, force: true });
    },
  };
}

/** Hand-shakes over real HTTP and returns headers for authenticated calls. */
export async function handshake(bridge: TestBridge, origin = bridge.origin): Promise<{ token: string; sessionId: string; headers: Record<string, string> }> {
  const response = await fetch(`${bridge.baseUrl}/api/v1/session/handshake`, {
    method: 'POST',
    headers: { origin, 'content-type': 'application/json' },
    body: JSON.stringify({ clientName: 'test' }),
  });
  if (response.status !== 201) throw new Error(`handshake failed: ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { sessionToken: string; sessionId: string };
  return {
    token: body.sessionToken,
    sessionId: body.sessionId,
    headers: { origin, 'content-type': 'application/json', 'x-osloop-bridge-token': body.sessionToken },
  };
}
