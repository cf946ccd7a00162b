import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { execa } from 'execa';
import WebSocket from 'ws';
import { bridgeSession, startCompiledBridge, type CompiledBridge } from './support/compiled-bridge.js';
import type { BenchRow } from './table.js';

const CALLERS = 8;
const RUN_SECONDS = 4;
/**
 * Runs (and bare spawns) before the measure. V8 optimises the run's path over its first
 * thousands of runs: after the 1 s of warm-up this row had before (~350 runs on a quiet machine),
 * optimising compiles were still 22 % of the bridge's CPU in the measured seconds, and the CPU
 * per run only levels off after ~2,000 runs (docs/performance.md, "Commands under load"). A
 * daemon pays that once; the row measures what a run costs it after. Both sides warm up alike.
 */
const WARM_UP_RUNS = 2_000;
const LATENCY_SAMPLES = 400;
const RUN_END_TIMEOUT_MS = 60_000;
const TRUE = ['/usr/bin/true', '/bin/true'].find((candidate) => existsSync(candidate)) ?? 'true';
/** Events that end a run, whichever way it ended. */
const BARE_SPAWNER = fileURLToPath(new URL('./support/bare-spawner.mjs', import.meta.url));
const RUN_ENDS = ['system.command.completed', 'system.command.failed', 'system.command.terminated'];

/**
 * Command runs under load, through the compiled bridge in its own process: how many whitelisted
 * `true` runs 8 concurrent callers complete per second (each POSTs execute and waits for the
 * run's end event) against 8 callers spawning `true` with execa in a fresh process; and the p99 latency of an
 * unrelated `GET bridge/info` while those 8 callers run commands back to back, against its idle
 * p99 on the same bridge in the same run. The latency probe runs in a worker thread with its own
 * event loop, so the callers' work in this thread does not delay its timings.
 */
export async function benchCommandLoad(bridgeNodeArgs: string[] = []): Promise<BenchRow[]> {
  const bare = await bareSpawnsPerSecond();
  // `bridgeNodeArgs` (e.g. --cpu-prof) go to the bridge's node, to profile what this drives.
  const bridge = await startCompiledBridge({}, bridgeNodeArgs);
  try {
    const { headers } = await bridgeSession(bridge);
    const runs = await RunDriver.open(bridge, headers);
    try {
      await runs.whitelistTrue();
      // Warm-up: the first runs load execa, prepare the statements and get the code optimised.
      const warmUpCpuBefore = await cpuMsOf(bridge.pid);
      await runs.callersForRuns(WARM_UP_RUNS);
      const warmUpCpuMsPerRun = ((await cpuMsOf(bridge.pid)) - warmUpCpuBefore) / WARM_UP_RUNS;
      const cpuBefore = await cpuMsOf(bridge.pid);
      const helperCpuBefore = await childrenCpuMsOf(bridge.pid);
      const throughput = await runs.callersFor(RUN_SECONDS);
      const cpuMsPerRun = ((await cpuMsOf(bridge.pid)) - cpuBefore) / throughput.runs;
      const helperCpuMsPerRun = ((await childrenCpuMsOf(bridge.pid)) - helperCpuBefore) / throughput.runs;

      const infoUrl = `${bridge.baseUrl}/api/v1/bridge/info`;
      const idle = await probeLatency(infoUrl, headers, LATENCY_SAMPLES);
      const loaded = runs.callersUntil(probeLatency(infoUrl, headers, LATENCY_SAMPLES));
      const { result: busy, runs: runsMeanwhile } = await loaded;
      return [
        {
          name: `whitelisted \`true\` runs/s, ${CALLERS} concurrent callers`,
          value: throughput.runs / throughput.seconds,
          unit: 'runs/s',
          baseline: bare.spawnsPerSecond,
          ratio: throughput.runs / throughput.seconds / bare.spawnsPerSecond,
          note: `${throughput.runs} runs in ${throughput.seconds.toFixed(1)} s, each POST execute (exact rule) → its completed event on the socket; baseline: ${CALLERS} callers awaiting execa('true') in a fresh node process; CPU of the bridge ${cpuMsPerRun.toFixed(2)} ms/run (its spawn helper's ${helperCpuMsPerRun.toFixed(2)} besides) vs the spawner's ${bare.cpuMsPerSpawn.toFixed(2)} ms/spawn, after ${WARM_UP_RUNS} runs (and spawns) of warm-up, whose bridge CPU was ${warmUpCpuMsPerRun.toFixed(2)} ms/run; load average ${os.loadavg()[0]!.toFixed(1)}`,
        },
        {
          name: `GET /api/v1/bridge/info p99 while ${CALLERS} callers run commands`,
          value: busy.p99,
          unit: 'ms',
          baseline: idle.p99,
          ratio: busy.p99 / idle.p99,
          note: `${LATENCY_SAMPLES} sequential requests from a worker thread (p50 ${busy.p50.toFixed(2)} ms) while ${runsMeanwhile} runs completed; baseline: the same requests to the idle bridge (p50 ${idle.p50.toFixed(2)} ms)`,
        },
      ];
    } finally {
      runs.close();
    }
  } finally {
    await bridge.stop();
  }
}

/** `true` spawned by execa, 8 callers back to back for RUN_SECONDS after WARM_UP_RUNS, in a fresh process: spawns per second. */
async function bareSpawnsPerSecond(): Promise<{ spawnsPerSecond: number; cpuMsPerSpawn: number }> {
  const { stdout } = await execa(process.execPath, [BARE_SPAWNER, TRUE, String(CALLERS), String(RUN_SECONDS), String(WARM_UP_RUNS)]);
  return JSON.parse(stdout) as { spawnsPerSecond: number; cpuMsPerSpawn: number };
}

/** CPU time (user + system, every thread) the process has used so far, in ms, from /proc. */
async function cpuMsOf(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * CPU time of the process's live children (the spawn helper: the runs' own children come and go),
 * in ms, from /proc. The helper stays alive while the callers run, so the difference is its CPU.
 */
async function childrenCpuMsOf(pid: number): Promise<number> {
  const children = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8')).trim().split(' ').filter(Boolean);
  const times = await Promise.all(children.map((child) => cpuMsOf(Number(child)).catch(() => 0)));
  return times.reduce((sum, ms) => sum + ms, 0);
}

/** Starts runs of `true` on the bridge and learns their ends from one event socket. */
class RunDriver {
  readonly #ended = new Set<string>();
  readonly #waiting = new Map<string, () => void>();

  private constructor(
    private readonly bridge: CompiledBridge,
    private readonly headers: Record<string, string>,
    private readonly socket: WebSocket,
  ) {
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { type?: string; data?: { runId?: string } };
      const runId = frame.data?.runId;
      if (!runId || !RUN_ENDS.includes(frame.type ?? '')) return;
      const waiter = this.#waiting.get(runId);
      if (waiter) {
        this.#waiting.delete(runId);
        waiter();
      } else {
        // The end can arrive before execute's own reply.
        this.#ended.add(runId);
      }
    });
  }

  static async open(bridge: CompiledBridge, headers: Record<string, string>): Promise<RunDriver> {
    const token = headers['x-osloop-bridge-token']!;
    const url = `${bridge.baseUrl.replace('http', 'ws')}/ws/v1/events?sessionToken=${token}&types=${RUN_ENDS.join(',')}`;
    const socket = new WebSocket(url, { headers: { origin: bridge.origin } });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new RunDriver(bridge, headers, socket);
  }

  #post(): Promise<{ runId?: string; promptId?: string }> {
    return fetch(`${this.bridge.baseUrl}/api/v1/system/commands/execute`, {
      method: 'POST',
      headers: { ...this.headers, prefer: 'respond-async' },
      body: JSON.stringify({ command: TRUE, args: [], title: 'bench', reason: 'bench' }),
    }).then((response) => response.json() as Promise<{ runId?: string; promptId?: string }>);
  }

  /** The first run asks; the user's answer (the local UI token) whitelists `true` exactly. */
  async whitelistTrue(): Promise<void> {
    const first = await this.#post();
    if (!first.promptId) throw new Error(`expected a prompt for the first run: ${JSON.stringify(first)}`);
    const resolved = await fetch(`${this.bridge.baseUrl}/api/v1/system/permissions/prompts/${first.promptId}/resolve`, {
      method: 'POST',
      headers: this.bridge.uiHeaders,
      body: JSON.stringify({ decision: 'allow_and_whitelist' }),
    });
    if (!resolved.ok) throw new Error(`resolving the prompt failed: ${resolved.status} ${await resolved.text()}`);
    if (first.runId) await this.#ends(first.runId);
  }

  /** One run, from its POST to its end event. */
  async run(): Promise<void> {
    const reply = await this.#post();
    if (reply.promptId || !reply.runId) throw new Error(`the run was not allowed by its rule: ${JSON.stringify(reply)}`);
    await this.#ends(reply.runId);
  }

  #ends(runId: string): Promise<void> {
    if (this.#ended.delete(runId)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`run ${runId} did not end within ${RUN_END_TIMEOUT_MS} ms`)), RUN_END_TIMEOUT_MS);
      this.#waiting.set(runId, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** 8 callers running back to back for `seconds`: runs completed and the seconds they took. */
  async callersFor(seconds: number): Promise<{ runs: number; seconds: number }> {
    const started = performance.now();
    const until = started + seconds * 1000;
    let runs = 0;
    await Promise.all(
      Array.from({ length: CALLERS }, async () => {
        while (performance.now() < until) {
          await this.run();
          runs++;
        }
      }),
    );
    return { runs, seconds: (performance.now() - started) / 1000 };
  }

  /** 8 callers running back to back until `count` runs have completed. */
  async callersForRuns(count: number): Promise<void> {
    let left = count;
    await Promise.all(
      Array.from({ length: CALLERS }, async () => {
        while (left-- > 0) await this.run();
      }),
    );
  }

  /** 8 callers running back to back until `work` settles: its result and the runs completed meanwhile. */
  async callersUntil<T>(work: Promise<T>): Promise<{ result: T; runs: number }> {
    let done = false;
    let runs = 0;
    const settled = work.finally(() => void (done = true));
    const callers = Array.from({ length: CALLERS }, async () => {
      while (!done) {
        await this.run();
        runs++;
      }
    });
    const [result] = await Promise.all([settled, ...callers]);
    return { result: result as T, runs };
  }

  close(): void {
    this.socket.close();
  }
}

/**
 * Sequential keep-alive GETs from a worker thread: p50 and p99 in ms. Plain JavaScript, so the
 * worker needs no TypeScript loader.
 */
function probeLatency(url: string, headers: Record<string, string>, samples: number): Promise<{ p50: number; p99: number }> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const http = require('node:http');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const once = () => new Promise((resolve, reject) => {
      const started = performance.now();
      const req = http.get(workerData.url, { agent, headers: workerData.headers }, (res) => {
        res.resume();
        res.on('end', () => res.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error('status ' + res.statusCode)));
      });
      req.on('error', reject);
    });
    (async () => {
      for (let i = 0; i < 20; i++) await once();
      const times = [];
      for (let i = 0; i < workerData.samples; i++) times.push(await once());
      agent.destroy();
      parentPort.postMessage(times);
    })().catch((error) => parentPort.postMessage({ error: String(error) }));
  `;
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, { eval: true, workerData: { url, headers, samples } });
    worker.once('message', (message: number[] | { error: string }) => {
      void worker.terminate();
      if (!Array.isArray(message)) return reject(new Error(`latency probe failed: ${message.error}`));
      const sorted = [...message].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
      resolve({ p50: at(0.5), p99: at(0.99) });
    });
    worker.once('error', reject);
  });
}
