import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCurve, createUser, type KeyPair } from '@nats-io/nkeys';
import { connect, nkeyAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { IDENTITY_FILE_NAME, identityFromSeeds, type FleetIdentity } from '../../src/fleet/identity.js';
import { freePort } from '../support/free-port.js';
import type { ThrowawayTls } from '../support/throwaway-ca.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const decoder = new TextDecoder();

/** A fresh nkey user: its public key and seed text. */
export function newUser(): { key: KeyPair; publicKey: string; seed: string } {
  const key = createUser();
  return { key, publicKey: key.getPublicKey(), seed: decoder.decode(key.getSeed()) };
}

/**
 * A bridge home prepared before the servers start: its fleet identity (so the server config can
 * list its machine id as an nkey user) and a config naming the fleet and the paired orchestrator.
 */
export function newMachineIdentity(): FleetIdentity {
  return identityFromSeeds(decoder.decode(createUser().getSeed()), decoder.decode(createCurve().getSeed()));
}

export async function prepareBridgeHome(options: { identity: FleetIdentity; servers: string[]; tls: ThrowawayTls; orchestrator: string; heartbeatMs: number }): Promise<{ home: string; port: number; identity: FleetIdentity }> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'osloop-fleet-'));
  await mkdir(home, { recursive: true, mode: 0o700 });
  const { identity } = options;
  await writeFile(path.join(home, IDENTITY_FILE_NAME), JSON.stringify({ seed: identity.seed, curveSeed: decoder.decode(identity.curve.getSeed()) }), { mode: 0o600 });
  const port = await freePort();
  await writeFile(
    path.join(home, 'config.json'),
    JSON.stringify({
      port,
      promptTimeoutMs: 120_000,
      nats: {
        servers: options.servers,
        auth: { kind: 'identity' },
        tls: { caFile: options.tls.caFile },
        orchestrators: [{ key: options.orchestrator, label: 'test orchestrator', pairedAt: new Date().toISOString() }],
        heartbeatMs: options.heartbeatMs,
      },
    }),
  );
  return { home, port, identity };
}

/** A bridge started the way a user starts it (`osloop-bridge start`), in its own process. */
export interface BridgeProcess {
  machineId: string;
  home: string;
  baseUrl: string;
  child: ChildProcess;
  output(): string;
  /** Resolves once a log line matches. */
  waitForLog(pattern: RegExp): Promise<void>;
  uiToken(): Promise<string>;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

export function spawnBridge(prepared: { home: string; port: number; identity: FleetIdentity }): BridgeProcess {
  // The sources through tsx: the fleet edge as written, whatever state dist/ is in.
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'start'], {
    cwd: ROOT,
    env: { ...process.env, OSLOOP_BRIDGE_HOME: prepared.home, OSLOOP_LOG_LEVEL: 'info', FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const waiters = new Set<{ pattern: RegExp; resolve: () => void }>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const waiter of waiters) {
      if (!waiter.pattern.test(output)) continue;
      waiters.delete(waiter);
      waiter.resolve();
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    machineId: prepared.identity.machineId,
    home: prepared.home,
    baseUrl: `http://127.0.0.1:${prepared.port}`,
    child,
    output: () => output,
    waitForLog(pattern) {
      if (pattern.test(output)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const waiter = { pattern, resolve };
        waiters.add(waiter);
        void exited.then(() => {
          if (waiters.delete(waiter)) reject(new Error(`bridge exited before ${pattern}:\n${output}`));
        });
      });
    },
    uiToken: async () => (await readFile(path.join(prepared.home, 'ui-token'), 'utf8')).trim(),
    async kill9() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const escalate = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(escalate);
      }
    },
  };
}

/** A NATS client over TLS (trusting only the test CA) authenticated as the nkey user `seed`. */
export function connectAs(servers: string[], tls: ThrowawayTls, seed: string, inboxPrefix: string, name: string): Promise<NatsConnection> {
  return connect({
    servers,
    name,
    authenticator: nkeyAuthenticator(new TextEncoder().encode(seed)),
    tls: { caFile: tls.caFile },
    inboxPrefix,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
  });
}

/** Calls the bridge's local HTTP API with a UI token, as the bridge's own window does. */
export async function uiFetch(bridge: { baseUrl: string }, token: string, route: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${bridge.baseUrl}${route}`, {
    method: init.method ?? 'GET',
    headers: { 'x-osloop-ui-token': token, origin: bridge.baseUrl, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}
