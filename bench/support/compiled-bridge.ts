import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { BridgeConfigInput } from '../../src/config/config-schema.js';
import { COMPILED_BIN, ensureCompiled } from '../../test/support/compiled-bin.js';
import { freePort } from '../../test/support/free-port.js';

const MEMORY_PROBE = fileURLToPath(new URL('./memory-probe.mjs', import.meta.url));
const BARE_SERVER = fileURLToPath(new URL('./bare-server.mjs', import.meta.url));
const START_TIMEOUT_MS = 60_000;

/** The bridge as users run it (`bin/osloop-bridge.js start`, compiled), in its own process. */
export interface CompiledBridge {
  pid: number;
  port: number;
  baseUrl: string;
  /** Its own origin, always allowed: the benches hand-shake with it. */
  origin: string;
  uiToken: string;
  /** Headers of the local UI (UI token), for the routes only the user may call. */
  uiHeaders: Record<string, string>;
  /** RSS and heap after a full GC, read through the memory probe. */
  memory(): Promise<{ rss: number; heapUsed: number }>;
  stop(): Promise<void>;
}

/**
 * Starts the compiled bridge on a fresh home (with `config`), resolved once it serves.
 * `nodeArgs` go to its node (e.g. `--cpu-prof` to profile what a bench drives).
 */
export async function startCompiledBridge(config: BridgeConfigInput = {}, nodeArgs: string[] = []): Promise<CompiledBridge> {
  await ensureCompiled();
  const home = await mkdtemp(path.join(os.tmpdir(), 'osloop-bench-'));
  await writeFile(path.join(home, 'config.json'), JSON.stringify(config));
  const port = await freePort();
  const memoryFile = path.join(home, 'memory.json');
  const child = spawn(process.execPath, [...nodeArgs, '--import', MEMORY_PROBE, COMPILED_BIN, 'start', '--port', String(port)], {
    env: { ...process.env, OSLOOP_BRIDGE_HOME: home, OSLOOP_LOG_LEVEL: 'warn', OSLOOP_BENCH_MEMORY_FILE: memoryFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (chunk: Buffer) => void (log = (log + String(chunk)).slice(-8_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await untilHealthy(port, child, () => log);
  const uiToken = (await readFile(path.join(home, 'ui-token'), 'utf8')).trim();
  const origin = `http://127.0.0.1:${port}`;
  return {
    pid: child.pid!,
    port,
    baseUrl: origin,
    origin,
    uiToken,
    uiHeaders: { origin, 'content-type': 'application/json', 'x-osloop-ui-token': uiToken },
    async memory() {
      await rm(memoryFile, { force: true });
      child.kill('SIGUSR2');
      for (let waited = 0; !existsSync(memoryFile); waited += 20) {
        if (waited > 30_000) throw new Error(`no memory report from the bridge: ${log}`);
        await sleep(20);
      }
      return JSON.parse(await readFile(memoryFile, 'utf8')) as { rss: number; heapUsed: number };
    },
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** A bare baseline server (`bare-server.mjs`) in its own process; resolved once it answers. */
export async function startBareServer(kind: 'http' | 'fastify', json?: string): Promise<{ port: number; child: ChildProcess; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawnBare(kind, port, json);
  await untilHealthy(port, child, () => '');
  return {
    port,
    child,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Spawns the bare server without waiting (the cold-start bench times that wait itself). */
export function spawnBare(kind: 'http' | 'fastify', port: number, json?: string): ChildProcess {
  return spawn(process.execPath, [BARE_SERVER, kind, String(port), ...(json ? [json] : [])], { stdio: 'ignore' });
}

/** Polls `GET /api/v1/health` on fresh connections until it answers 200. */
export async function untilHealthy(port: number, child: ChildProcess, log: () => string, pollMs = 10): Promise<void> {
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited before serving (${child.exitCode ?? child.signalCode}): ${log()}`);
    if ((await healthStatus(port)) === 200) return;
    if (Date.now() - started > START_TIMEOUT_MS) throw new Error(`not serving after ${START_TIMEOUT_MS} ms: ${log()}`);
    await sleep(pollMs);
  }
}

/** A web-app session on the bridge (its own origin): the headers of its authenticated calls. */
export async function bridgeSession(bridge: CompiledBridge): Promise<{ headers: Record<string, string> }> {
  const response = await fetch(`${bridge.baseUrl}/api/v1/session/handshake`, {
    method: 'POST',
    headers: { origin: bridge.origin, 'content-type': 'application/json' },
    body: JSON.stringify({ clientName: 'bench' }),
  });
  if (response.status !== 201) throw new Error(`handshake failed: ${response.status} ${await response.text()}`);
  const { sessionToken } = (await response.json()) as { sessionToken: string };
  return { headers: { origin: bridge.origin, 'content-type': 'application/json', 'x-osloop-bridge-token': sessionToken } };
}

function healthStatus(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/api/v1/health', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
  });
}
