import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BridgeConfigInput } from '../../../src/config/config-schema.js';
import { COMPILED_BIN, ensureCompiled } from '../../support/compiled-bin.js';
import { freePort } from '../../support/free-port.js';
import { untilLeftStarting } from '../../e2e/commands-support.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = COMPILED_BIN;
export const FAULT_FIXTURES = path.join(ROOT, 'test/fixtures/faults');
export const AWAKE_INHIBITOR_FIXTURE = path.join(ROOT, 'test/fixtures/awake-inhibitor.mjs');

/** How long a bridge subprocess may take to start on a loaded two-core machine. */
const START_TIMEOUT_MS = 30_000;

export interface Reply<T = Record<string, unknown>> {
  status: number;
  body: T;
}

/** The real CLI (`osloop-bridge start`) as a subprocess on its own home and port. */
export interface BridgeProcess {
  pid: number;
  port: number;
  home: string;
  child: ChildProcess;
  /** Resolves with how the process ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last lines it logged, for failure messages. */
  log(): string;
  /** An HTTP call as the local UI (UI token), on a fresh connection each time. */
  call<T = Record<string, unknown>>(method: string, route: string, body?: unknown, headers?: Record<string, string>): Promise<Reply<T>>;
  /** SIGKILL: no handler runs, nothing is flushed. */
  kill9(): Promise<void>;
  /** SIGTERM, the orderly stop; SIGKILL if it takes longer than `timeoutMs`. */
  stop(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Asks `bridge` to run `sh -c <script>` as the web app would, allows it from the local UI, and
 * returns it once it runs: its details, `pid` the leader of its process group.
 */
export async function startAllowedShellRun(bridge: BridgeProcess, script: string, reason: string): Promise<{ runId: string; pid: number }> {
  const started = await bridge.call<{ promptId?: string; runId?: string }>('POST', '/api/v1/system/commands/execute', { command: 'sh', args: ['-c', script], reason }, { prefer: 'respond-async' });
  if (!started.body.promptId) throw new Error(`execute did not prompt: ${JSON.stringify(started.body)}`);
  const resolved = await bridge.call('POST', `/api/v1/system/permissions/prompts/${started.body.promptId}/resolve`, { decision: 'allow_once' });
  if (resolved.status !== 200) throw new Error(`resolve answered ${resolved.status}: ${JSON.stringify(resolved.body)}`);
  const running = await untilLeftStarting((route) => bridge.call('GET', route), String(started.body.runId));
  if (running.body.state !== 'running') throw new Error(`the run did not start: ${JSON.stringify(running.body)}`);
  return running.body as { runId: string; pid: number };
}

/**
 * Starts `node bin/osloop-bridge.js start` on `home` (writing `config` as its config file first,
 * when given) and resolves once it logged that its UI token is written, i.e. it serves.
 */
export async function startBridgeProcess(home: string, options: { config?: BridgeConfigInput; port?: number } = {}): Promise<BridgeProcess> {
  await ensureCompiled();
  if (options.config) await writeFile(path.join(home, 'config.json'), JSON.stringify(options.config, null, 2));
  const port = options.port ?? (await freePort());
  const child = spawn(process.execPath, [BIN, 'start', '--port', String(port)], {
    env: { ...process.env, OSLOOP_BRIDGE_HOME: home, OSLOOP_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  // Always drained: pino writes synchronously, so a full pipe would stall the bridge.
  const keep = (chunk: Buffer) => void (tail = (tail + String(chunk)).slice(-8_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the bridge did not start within ${START_TIMEOUT_MS} ms: ${tail}`)), START_TIMEOUT_MS);
    const onData = () => {
      if (tail.includes('UI token written')) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the bridge exited while starting (${code ?? signal}): ${tail}`));
    });
  });
  const token = (await readFile(path.join(home, 'ui-token'), 'utf8')).trim();

  const bridge: BridgeProcess = {
    pid: child.pid!,
    port,
    home,
    child,
    exited,
    log: () => tail,
    call: (method, route, body, headers) => request(port, token, method, route, body, headers),
    async kill9() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop(timeoutMs = 30_000) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
  return bridge;
}

/**
 * One HTTP request on its own connection (`agent: false`, so `Connection: close`): no socket
 * is pooled, in this process or in the bridge, to blur its file-descriptor count.
 */
export function request<T>(port: number, uiToken: string, method: string, route: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<Reply<T>> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = { ...extraHeaders, host: `127.0.0.1:${port}`, 'x-osloop-ui-token': uiToken };
  if (method !== 'GET') headers['content-type'] = 'application/json';
  if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: route, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : {}) as T });
        } catch (error) {
          reject(error as Error);
        }
      });
    });
    req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${route} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

// ---- /proc: processes and file descriptors --------------------------------------------------

interface Stat {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
}

function readStat(pid: number): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid, state: rest[0] ?? '', ppid: Number(rest[1]), pgid: Number(rest[2]) };
  } catch {
    return undefined; // it ended while we looked
  }
}

/** Every living (not zombie) process, from /proc. */
export function livingProcesses(): Stat[] {
  const out: Stat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat && stat.state !== 'Z' && stat.state !== 'X') out.push(stat);
  }
  return out;
}

/**
 * The living descendants of `pid` (children, their children…), read from /proc; without tsx's
 * esbuild service, which the bridge (run from its TypeScript sources) starts to compile a module
 * it had not cached and keeps for its lifetime: infrastructure, not a leak.
 */
export function livingDescendants(pid: number): number[] {
  const all = livingProcesses();
  const found: number[] = [];
  let frontier = [pid];
  while (frontier.length > 0) {
    const next = all.filter((p) => frontier.includes(p.ppid)).map((p) => p.pid);
    found.push(...next);
    frontier = next;
  }
  return found.filter((p) => !cmdline(p).includes('esbuild --service'));
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/**
 * Process groups with a living member that are led by a descendant of `pid` (the bridge starts
 * every command run, and its inhibitor, as such a group: directly, or through its spawn helper
 * process, whose children they then are) or are among `known` (groups whose leader already exited
 * while members live on, reparented away from the bridge).
 */
export function livingChildGroups(pid: number, known: ReadonlySet<number> = new Set()): number[] {
  const all = livingProcesses();
  const descendants = new Set(livingDescendants(pid));
  const leaders = new Set(all.filter((p) => descendants.has(p.pid) && p.pgid === p.pid).map((p) => p.pid));
  return [...new Set(all.filter((p) => leaders.has(p.pgid) || known.has(p.pgid)).map((p) => p.pgid))];
}

/** Living processes whose command line contains `needle` (e.g. a fixture's path). */
export function livingWithCmdline(needle: string): number[] {
  return livingProcesses()
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').includes(needle);
      } catch {
        return false;
      }
    })
    .map((p) => p.pid);
}

/** Living members of each of `pgids`. */
export function livingInGroups(pgids: readonly number[]): number[] {
  return livingProcesses()
    .filter((p) => pgids.includes(p.pgid))
    .map((p) => p.pid);
}

/** `pid: command line` of each pid, for failure messages. */
export function describeProcesses(pids: readonly number[]): string[] {
  return pids.map((pid) => {
    try {
      return `${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()}`;
    } catch {
      return `${pid}: (gone)`;
    }
  });
}

export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** What each open descriptor of `pid` points at, for a failure message. */
export function fdTargets(pid: number): string[] {
  return readdirSync(`/proc/${pid}/fd`).map((fd) => {
    try {
      return `${fd} -> ${readlinkSync(`/proc/${pid}/fd/${fd}`)}`;
    } catch {
      return `${fd} -> (closed)`;
    }
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The descriptor count of `pid` once it has settled: a single sample can catch a socket being
 * closed or a pipe of a process being reaped, so this polls until the count is back at or below
 * `baseline` (done) or `timeoutMs` passed, and returns the last count. Never lower than the
 * truth: a leak stays above the baseline however long we wait.
 */
export async function settledFdCount(pid: number, baseline: number, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const count = fdCount(pid);
    if (count <= baseline || Date.now() >= deadline) return count;
    await sleep(50);
  }
}

/** The lowest count seen over `windowMs`: the idle bridge's own descriptors, without traffic in flight. */
export async function idleFdBaseline(pid: number, windowMs = 1_000): Promise<number> {
  let lowest = fdCount(pid);
  const deadline = Date.now() + windowMs;
  while (Date.now() < deadline) {
    await sleep(50);
    lowest = Math.min(lowest, fdCount(pid));
  }
  return lowest;
}

/** Polls `check` until it returns a value other than undefined, or fails with `what`. */
export async function waitUntil<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(intervalMs);
  }
}
