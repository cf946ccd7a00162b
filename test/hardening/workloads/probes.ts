import http from 'node:http';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * What the soak and load workloads measure about this process (the bridge runs in it): living
 * descendants, open file descriptors, the heap after a forced GC, latency percentiles, plus the
 * seeded PRNG and the keep-alive-controlled `fetch` they drive the bridge with. Linux only.
 */

/** mulberry32: a tiny seeded PRNG, so a soak's mix of runs is reproducible from its printed seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface ProcStat {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
  command: string;
}

function readStat(pid: string): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // ended while we looked
  }
  const close = text.lastIndexOf(')');
  const fields = text.slice(close + 2).split(' ');
  return { pid: Number(pid), ppid: Number(fields[1]), pgid: Number(fields[2]), state: fields[0]!, command: text.slice(text.indexOf('(') + 1, close) };
}

function livingProcesses(): ProcStat[] {
  const all: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(entry);
    // Zombies have ended: in this sandbox PID 1 never reaps orphans, so they linger.
    if (stat && stat.state !== 'Z' && stat.state !== 'X') all.push(stat);
  }
  return all;
}

/** Living descendants of `root` (children, grandchildren…), as `pid command`. */
export function livingDescendants(root = process.pid): Array<{ pid: number; command: string }> {
  const all = livingProcesses();
  const found = new Set<number>([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of all) {
      if (!found.has(p.pid) && found.has(p.ppid)) {
        found.add(p.pid);
        grew = true;
      }
    }
  }
  found.delete(root);
  return all.filter((p) => found.has(p.pid)).map((p) => ({ pid: p.pid, command: p.command }));
}

/**
 * Living processes that belong to one of `pids` or to its process group. Run trees are started
 * in their own group (pgid = the run's pid), and an orphaned grandchild (the `sleep` of
 * `sh -c 'sleep 30 & sleep 30'`) is reparented away from the bridge but keeps the group.
 */
export function livingOf(pids: Iterable<number>): Array<{ pid: number; pgid: number; command: string }> {
  const wanted = new Set(pids);
  if (wanted.size === 0) return [];
  return livingProcesses()
    .filter((p) => wanted.has(p.pid) || wanted.has(p.pgid))
    .map((p) => ({ pid: p.pid, pgid: p.pgid, command: p.command }));
}

/** Open file descriptors of this process. */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/** What the open descriptors are (`socket:[…]`, `pipe:[…]`, paths), for a failure message. */
export function describeFds(): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue;
    }
    const kind = target.replace(/\[\d+\]$/, '').replace(/^\/tmp\/.*/, '/tmp/…');
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return kinds;
}

/** Polls `read` until `accept` holds, or `timeoutMs` passes; returns the last value read. */
export async function settle<T>(read: () => T, accept: (value: T) => boolean, timeoutMs: number, intervalMs = 200): Promise<{ value: T; settled: boolean; waitedMs: number }> {
  const started = Date.now();
  for (;;) {
    const value = read();
    if (accept(value)) return { value, settled: true, waitedMs: Date.now() - started };
    if (Date.now() - started >= timeoutMs) return { value, settled: false, waitedMs: Date.now() - started };
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

let collect: (() => void) | undefined;
/** `gc()`, exposed at run time (no `--expose-gc` needed). */
function gc(): void {
  if (!collect) {
    v8.setFlagsFromString('--expose-gc');
    collect = vm.runInNewContext('gc') as () => void;
  }
  collect();
}

/**
 * Heap in use after full collections: several, with turns of the event loop in between, so that
 * finalizers and weak references settle. `code` is the part of `heapUsed` in V8's code spaces
 * (compiled functions, which grow as the JIT optimises more of them over a long run);
 * `arrayBuffers` is memory outside the heap (Buffers).
 */
export async function settledMemory(): Promise<{ heapUsed: number; code: number; arrayBuffers: number; rss: number }> {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  gc();
  const { heapUsed, arrayBuffers, rss } = process.memoryUsage();
  const code = v8
    .getHeapSpaceStatistics()
    .filter((space) => space.space_name.includes('code'))
    .reduce((sum, space) => sum + space.space_used_size, 0);
  return { heapUsed, code, arrayBuffers, rss };
}

export const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** Nearest-rank percentile of `values` (sorted here); 0 for none. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const ms = (value: number): string => `${value.toFixed(1)} ms`;

/**
 * A `fetch` for the typed client over `node:http` with an agent the workload owns, so that its
 * keep-alive sockets can be closed (`agent.destroy()`) before descriptors are counted; the global
 * fetch keeps an idle pool nobody can close.
 */
export function agentFetch(agent: http.Agent): typeof fetch {
  return ((input: string | URL, init: RequestInit = {}) =>
    new Promise<Response>((resolve, reject) => {
      const request = http.request(
        String(input),
        { method: init.method ?? 'GET', headers: init.headers as Record<string, string>, agent, signal: init.signal ?? undefined },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            const body = status === 204 || status === 304 ? null : Buffer.concat(chunks);
            resolve(new Response(body, { status }));
          });
        },
      );
      request.on('error', reject);
      request.end(typeof init.body === 'string' ? init.body : undefined);
    })) as typeof fetch;
}
