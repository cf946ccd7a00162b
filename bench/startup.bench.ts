import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { COMPILED_BIN, ensureCompiled } from '../test/support/compiled-bin.js';
import { freePort } from '../test/support/free-port.js';
import { spawnBare, untilHealthy } from './support/compiled-bridge.js';
import type { BenchRow } from './table.js';

const RUNS = 7;
const POLL_MS = 5;
/** Clock ticks per second of `/proc/<pid>/stat`'s times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

interface Start {
  /** Spawn to the first 200 on /api/v1/health. */
  wallMs: number;
  /** The server's own CPU (user + system) at that moment, from /proc: steady under others' load. */
  cpuMs: number;
}

/**
 * Cold start: `osloop-bridge start` (the compiled CLI, a fresh home each time, as on a first run;
 * the code cache in the user's cache folder, bin/code-cache.js, as after any earlier start)
 * to the first 200 on /api/v1/health, against a bare `node` http server answering the same path,
 * both spawned and polled the same way. Runs alternate, so a busy moment hits both; the median
 * of each is compared. Wall clock is what a user waits; the CPU the process spent until it
 * answered barely moves with the machine's load, so it is the figure to compare across runs.
 */
export async function benchStartup(): Promise<BenchRow[]> {
  await ensureCompiled();
  // A start that finds no code cache for this build writes one (bin/code-cache.js), as a user's
  // first start after an install does; this one is not measured. The rows are the starts after
  // it, and the first-start row starts without the cache (NODE_DISABLE_COMPILE_CACHE=1).
  await timeBridge();
  const bridge: Start[] = [];
  const firstStart: Start[] = [];
  const bare: Start[] = [];
  for (let i = 0; i < RUNS; i++) {
    bare.push(await timeBare());
    bridge.push(await timeBridge());
    firstStart.push(await timeBridge({ NODE_DISABLE_COMPILE_CACHE: '1' }));
  }
  const note = `median of ${RUNS}, fresh home each; compiled bin on Node ${process.version}; baseline: bare node:http server, same polling (${POLL_MS} ms)`;
  const row = (name: string, unit: string, pick: (start: Start) => number, extra = '', starts = bridge): BenchRow => {
    const value = median(starts.map(pick));
    const baseline = median(bare.map(pick));
    return { name, value, unit, baseline, ratio: value / baseline, note: note + extra };
  };
  return [
    row('cold start: `osloop-bridge start` → first 200 on /health', 'ms', (start) => start.wallMs),
    row('cold start: CPU of the process until its first 200 on /health', 'ms CPU', (start) => start.cpuMs, `; user + system from /proc (${1000 / TICKS_PER_SECOND} ms ticks)`),
    row('cold start without the code cache (a first start after an install) → first 200 on /health', 'ms', (start) => start.wallMs, '; NODE_DISABLE_COMPILE_CACHE=1', firstStart),
  ];
}

async function timeBare(): Promise<Start> {
  const port = await freePort();
  const started = performance.now();
  const child = spawnBare('http', port);
  await untilHealthy(port, child, () => '', POLL_MS);
  const result = { wallMs: performance.now() - started, cpuMs: await cpuMs(child) };
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  return result;
}

async function timeBridge(env: Record<string, string> = {}): Promise<Start> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'osloop-bench-start-'));
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [COMPILED_BIN, 'start', '--port', String(port)], {
    env: { ...process.env, OSLOOP_BRIDGE_HOME: home, OSLOOP_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log += String(chunk)));
  await untilHealthy(port, child, () => log, POLL_MS);
  const result = { wallMs: performance.now() - started, cpuMs: await cpuMs(child) };
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  await rm(home, { recursive: true, force: true });
  return result;
}

/** utime + stime of a live child (fields 14 and 15 of /proc/<pid>/stat, after the command name). */
async function cpuMs(child: ChildProcess): Promise<number> {
  const stat = await readFile(`/proc/${child.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
