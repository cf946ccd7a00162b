import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { COMPILED_BIN, ensureCompiled } from '../test/support/compiled-bin.js';
import { freePort } from '../test/support/free-port.js';
import { spawnBare, untilHealthy } from './support/compiled-bridge.js';
import type { BenchRow } from './table.js';

const RUNS = 7;
const POLL_MS = 5;

/**
 * Cold start: `osloop-bridge start` (the compiled CLI, a fresh home each time, as on a first run)
 * to the first 200 on /api/v1/health, against a bare `node` http server answering the same path,
 * both spawned and polled the same way. Runs alternate, so a busy moment hits both; the median
 * of each is compared.
 */
export async function benchStartup(): Promise<BenchRow[]> {
  await ensureCompiled();
  const bridge: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    bare.push(await timeBare());
    bridge.push(await timeBridge());
  }
  const value = median(bridge);
  const baseline = median(bare);
  return [
    {
      name: 'cold start: `osloop-bridge start` → first 200 on /health',
      value,
      unit: 'ms',
      baseline,
      ratio: value / baseline,
      note: `median of ${RUNS}, fresh home each; compiled bin on Node ${process.version}; baseline: bare node:http server, same polling (${POLL_MS} ms)`,
    },
  ];
}

async function timeBare(): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawnBare('http', port);
  await untilHealthy(port, child, () => '', POLL_MS);
  const elapsed = performance.now() - started;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  return elapsed;
}

async function timeBridge(): Promise<number> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'osloop-bench-start-'));
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [COMPILED_BIN, 'start', '--port', String(port)], {
    env: { ...process.env, OSLOOP_BRIDGE_HOME: home, OSLOOP_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log += String(chunk)));
  await untilHealthy(port, child, () => log, POLL_MS);
  const elapsed = performance.now() - started;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  await rm(home, { recursive: true, force: true });
  return elapsed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
