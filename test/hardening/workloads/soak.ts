import http from 'node:http';
import path from 'node:path';
import v8 from 'node:v8';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { ReliabilitySize } from '../../../scripts/reliability/section.js';
import { createBridgeClient, type BridgeClient } from '../../../src/client/index.js';
import { BridgeClientError } from '../../../src/client/errors.js';
import { EVERYTHING_ENTRY, isAlive } from '../../fixtures/mcp/everything.js';
import { startTestBridge } from '../../support/test-bridge.js';
import { agentFetch, describeFds, livingDescendants, livingOf, openFds, seededRandom, settle, settledMemory } from './probes.js';

/**
 * The soak (issue 7): many command runs through a real bridge, each ending a different way —
 * whitelisted fast ones that complete or fail, long ones terminated at a random moment, ones
 * killed by their `timeoutMs`, prompted ones the UI rejects or nobody answers — plus MCP
 * connect/call/disconnect cycles of server-everything, alongside. Baselines are taken after a
 * warm-up; afterwards no process may be left, descriptors must come back to the baseline and
 * the heap (after a forced GC) within 10% of it.
 */

export interface SoakOptions {
  runs: number;
  mcpCycles: number;
  seed: number;
  /** Runs in flight at once (below `maxConcurrentRuns`, so none is refused with 429). */
  concurrency?: number;
  log?: (line: string) => void;
}

export const SOAK_SIZES: Record<ReliabilitySize, Omit<SoakOptions, 'seed'>> = {
  ci: { runs: 300, mcpCycles: 8 },
  full: { runs: 2_000, mcpCycles: 50 },
};

/** Fixed unless `OSLOOP_SOAK_SEED` says otherwise; every report prints the one it used. */
export const SOAK_SEED = Number(process.env.OSLOOP_SOAK_SEED ?? 7_0017);

/** Descriptors that may stay above the baseline: documented slack for what the runtime caches. */
export const FD_SLACK = 4;
/** The heap may end at most this much above its baseline. */
export const HEAP_TOLERANCE = 0.1;
/** How long descriptors and processes get to settle after the workload. */
const SETTLE_MS = 20_000;
/**
 * Output the bridge keeps of finished runs, in all (each run counts its bytes plus 2 KiB): small,
 * so that the budget is reached in the warm-up and holds as much at the baseline as at the end.
 */
const RETAINED_OUTPUT_BYTES = 64 * 1024;
/** Events the ring holds: small, so that the warm-up fills it and it holds as much at both ends. */
const EVENT_RING = 200;
/** Long enough that a rejection sent within 200 ms is never late, even on a loaded machine. */
const PROMPT_TIMEOUT_MS = 4_000;
const KILL_GRACE_MS = 300;

export type RunKind = 'completes' | 'fails' | 'terminated' | 'terminated_stubborn' | 'timed_out' | 'rejected' | 'expired';

/** What each kind must end as: the run's state, and its `errorCode` for rejections. */
export const EXPECTED: Record<RunKind, { state: string; errorCode?: string }> = {
  completes: { state: 'completed' },
  fails: { state: 'failed' },
  terminated: { state: 'terminated' },
  terminated_stubborn: { state: 'terminated' },
  timed_out: { state: 'timed_out' },
  rejected: { state: 'rejected', errorCode: 'rejected_by_user' },
  expired: { state: 'rejected', errorCode: 'permission_timeout' },
};

/** Relative weights of the mix. */
const WEIGHTS: Array<[RunKind, number]> = [
  ['completes', 30],
  ['fails', 10],
  ['terminated', 15],
  ['terminated_stubborn', 5],
  ['timed_out', 15],
  ['rejected', 20],
  ['expired', 5],
];

/** Whitelisted through `sh -c *`: `$1` is the run's number. */
const SCRIPTS = {
  completes: 'echo "run $1"; echo "note $1" >&2',
  fails: 'echo "run $1"; exit 3',
  // A tree: the background sleep outlives the shell unless its whole group is killed.
  long: 'sleep 1000 & sleep 1000',
  stubborn: "trap '' TERM; sleep 1000 & sleep 1000",
};

export interface SoakResult {
  seed: number;
  runs: number;
  /** `kind → "state[/errorCode]" → count`. */
  outcomes: Record<string, Record<string, number>>;
  mismatches: Array<{ index: number; kind: RunKind; runId: string | null; expected: string; got: string }>;
  processesStarted: number;
  mcpCycles: number;
  mcpFailures: string[];
  /** Processes of runs or MCP servers still alive, and descendants of this process not there at baseline. */
  leakedProcesses: Array<{ pid: number; command: string }>;
  fds: { baseline: number; after: number; waitedMs: number; detail: Record<string, number> };
  /** `heapUsed` after forced GC, and the same without V8's code spaces (JIT output, not data). */
  heap: { baseline: number; after: number; dataBaseline: number; dataAfter: number };
  arrayBuffers: { baseline: number; after: number; allowance: number };
  errorLogs: string[];
  wallMs: number;
}

/** Runs the soak against a fresh in-process bridge and measures what it left behind. */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? (() => {});
  const concurrency = options.concurrency ?? 12;
  const random = seededRandom(options.seed);
  log(`soak: seed ${options.seed}, ${options.runs} runs, ${options.mcpCycles} MCP cycles, ${concurrency} at once`);

  // Error-level log lines are reported; nothing else is kept (a debug log would grow the heap).
  const errorLogs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      if (errorLogs.length < 100) errorLogs.push(String(chunk).slice(0, 500));
      callback();
    },
  });
  const bridge = await startTestBridge({
    dev: true,
    logger: pino({ level: 'error' }, sink),
    config: {
      commandPath: 'inherited',
      killGraceMs: KILL_GRACE_MS,
      promptTimeoutMs: PROMPT_TIMEOUT_MS,
      retainedOutputBytes: RETAINED_OUTPUT_BYTES,
      eventBufferSize: EVENT_RING,
      mcp: { reconnect: { maxAttempts: 2, initialDelayMs: 50, maxDelayMs: 200 }, pingIntervalMs: 0, closeGraceMs: 500 },
    },
  });
  const agent = new http.Agent({ keepAlive: true });
  const started = Date.now();
  try {
    const fetch = agentFetch(agent);
    const app = createBridgeClient({ baseUrl: bridge.baseUrl, origin: bridge.origin, clientName: 'soak', fetch, autoRefresh: false });
    const ui = createBridgeClient({ baseUrl: bridge.baseUrl, origin: bridge.origin, uiToken: bridge.uiToken, fetch });
    await app.handshake();
    const harness = new SoakHarness(app, ui, random);
    await harness.whitelistShell();
    const server = await harness.registerEverything();

    // Warm-up: every kind a few times and one MCP cycle, so that caches, pools, JIT code, the
    // event ring and the output budget are as full at the baseline as they will be at the end.
    // A tenth of the runs (at least 84): a longer soak gives the JIT longer to settle first.
    const warmKinds = WEIGHTS.map(([kind]) => kind);
    const warmRuns = Math.max(84, Math.round(options.runs / 10));
    await harness.runMany(Array.from({ length: warmRuns }, (_, i) => warmKinds[i % warmKinds.length]!), concurrency);
    await harness.mcpCycle(server);
    harness.resetCounts();
    agent.destroy();
    const baselineDescendants = new Set(livingDescendants().map((p) => p.pid));
    const fdBaseline = (await settle(openFds, () => false, 1_000)).value;
    const memoryBaseline = await settledMemory();
    snapshot('baseline');
    log(`soak: baseline ${fdBaseline} fds, heap ${(memoryBaseline.heapUsed / 2 ** 20).toFixed(1)} MiB`);

    const kinds = Array.from({ length: options.runs }, () => pick(random));
    const mcp = (async () => {
      for (let i = 0; i < options.mcpCycles; i++) await harness.mcpCycle(server);
    })();
    await Promise.all([harness.runMany(kinds, concurrency, log), mcp]);
    await harness.removeServer(server);
    app.close();
    ui.close();
    agent.destroy();

    // Everything must be gone: the runs' and servers' process groups, and any new descendant.
    const leaks = await settle(
      () => [...livingOf(harness.pids), ...livingDescendants().filter((p) => !baselineDescendants.has(p.pid))],
      (list) => list.length === 0,
      SETTLE_MS,
    );
    const fds = await settle(openFds, (count) => count <= fdBaseline + FD_SLACK, SETTLE_MS);
    const memoryAfter = await settledMemory();
    snapshot('after');
    log(`soak: after ${fds.value} fds (waited ${fds.waitedMs} ms), heap ${(memoryAfter.heapUsed / 2 ** 20).toFixed(1)} MiB`);
    const unique = new Map(leaks.value.map((p) => [p.pid, { pid: p.pid, command: p.command }]));
    return {
      seed: options.seed,
      runs: options.runs,
      outcomes: harness.outcomes,
      mismatches: harness.mismatches,
      processesStarted: harness.pids.size,
      mcpCycles: harness.mcpCompleted,
      mcpFailures: harness.mcpFailures,
      leakedProcesses: [...unique.values()],
      fds: { baseline: fdBaseline, after: fds.value, waitedMs: fds.waitedMs, detail: fds.settled ? {} : describeFds() },
      heap: {
        baseline: memoryBaseline.heapUsed,
        after: memoryAfter.heapUsed,
        dataBaseline: memoryBaseline.heapUsed - memoryBaseline.code,
        dataAfter: memoryAfter.heapUsed - memoryAfter.code,
      },
      arrayBuffers: { baseline: memoryBaseline.arrayBuffers, after: memoryAfter.arrayBuffers, allowance: RETAINED_OUTPUT_BYTES + 8 * 2 ** 20 },
      errorLogs,
      wallMs: Date.now() - started,
    };
  } finally {
    agent.destroy();
    await bridge.close();
  }
}

/** With `OSLOOP_SOAK_HEAP_SNAPSHOTS=<dir>`, writes heap snapshots to compare (Chrome DevTools, Memory tab). */
function snapshot(name: string): void {
  const dir = process.env.OSLOOP_SOAK_HEAP_SNAPSHOTS;
  if (dir) v8.writeHeapSnapshot(path.join(dir, `soak-${name}.heapsnapshot`));
}

function pick(random: () => number): RunKind {
  const total = WEIGHTS.reduce((sum, [, weight]) => sum + weight, 0);
  let roll = random() * total;
  for (const [kind, weight] of WEIGHTS) {
    roll -= weight;
    if (roll < 0) return kind;
  }
  return WEIGHTS[0]![0];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Drives the bridge as the web app (`app`) and the local UI (`ui`) would. */
class SoakHarness {
  outcomes: Record<string, Record<string, number>> = {};
  mismatches: SoakResult['mismatches'] = [];
  readonly pids = new Set<number>();
  mcpCompleted = 0;
  mcpFailures: string[] = [];
  #next = 0;

  constructor(
    private readonly app: BridgeClient,
    private readonly ui: BridgeClient,
    private readonly random: () => number,
  ) {}

  resetCounts(): void {
    this.outcomes = {};
    this.mismatches = [];
    this.mcpCompleted = 0;
    this.mcpFailures = [];
  }

  /**
   * One prompt per script, each answered by the UI with an exact rule (a prefix rule for a shell
   * is refused: it would allow any code), so every later shell run starts at once.
   */
  async whitelistShell(): Promise<void> {
    for (const script of [SCRIPTS.completes, SCRIPTS.fails, SCRIPTS.long, SCRIPTS.stubborn]) {
      const reply = await this.execute('sh', ['-c', script, 'soak'], script === SCRIPTS.completes || script === SCRIPTS.fails ? {} : { timeoutMs: 100 });
      await this.ui.api.systemPermissionsPromptsResolve({ params: { requestId: reply.promptId! }, body: { decision: 'allow_and_whitelist' } });
      await this.app.api.systemCommandsRunsGet({ params: { runId: reply.runId }, query: { waitMs: 20_000 } });
    }
  }

  async registerEverything(): Promise<string> {
    const args = [EVERYTHING_ENTRY, 'stdio'];
    const transport = { type: 'stdio' as const, command: process.execPath, args, template: { command: process.execPath, args } };
    const { serverId } = await this.app.api.mcpServersRegister({ body: { name: 'soak-everything', transport } });
    return serverId;
  }

  async removeServer(serverId: string): Promise<void> {
    await this.app.api.mcpServersRemove({ params: { serverId } });
  }

  /** Connect (approving the first prompt with a rule), call `echo`, disconnect: the process must be gone. */
  async mcpCycle(serverId: string): Promise<void> {
    const cycle = this.mcpCompleted + this.mcpFailures.length;
    try {
      const reply = await this.app.api.mcpServersConnect({ params: { serverId } });
      if (reply.promptId) {
        await this.ui.api.systemPermissionsPromptsResolve({ params: { requestId: reply.promptId }, body: { decision: 'allow_and_whitelist' } });
      }
      const view = await this.waitForServer(serverId, 'connected');
      if (view.pid) this.pids.add(view.pid);
      const message = `cycle ${cycle}`;
      const result = await this.app.api.mcpCall({ body: { serverId, tool: 'echo', arguments: { message } } });
      if (!JSON.stringify(result).includes(`Echo: ${message}`)) throw new Error(`echo answered ${JSON.stringify(result).slice(0, 200)}`);
      await this.app.api.mcpServersDisconnect({ params: { serverId } });
      // `disconnect` replies once the server's process tree has exited.
      if (view.pid && isAlive(view.pid)) throw new Error(`server process ${view.pid} still alive after disconnect`);
      this.mcpCompleted++;
    } catch (error) {
      this.mcpFailures.push(`cycle ${cycle}: ${error instanceof Error ? error.message : String(error)}`);
      await this.app.api.mcpServersDisconnect({ params: { serverId } }).catch(() => {});
    }
  }

  async waitForServer(serverId: string, state: string): Promise<{ pid: number | null }> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const view = (await this.app.api.mcpServersList()).servers.find((s) => s.serverId === serverId);
      if (view?.state === state) return view;
      if (view?.state === 'failed' || Date.now() > deadline) throw new Error(`server ${serverId} is ${view?.state}, not ${state}: ${view?.lastError ?? ''}`);
      await sleep(50);
    }
  }

  /** Runs `kinds` with at most `concurrency` in flight, each checked against its expected end. */
  async runMany(kinds: RunKind[], concurrency: number, log?: (line: string) => void): Promise<void> {
    let cursor = 0;
    let done = 0;
    const worker = async () => {
      while (cursor < kinds.length) {
        const index = cursor++;
        await this.runOne(index, kinds[index]!);
        if (++done % 500 === 0) log?.(`soak: ${done}/${kinds.length} runs`);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  execute(command: string, args: string[], extra: { timeoutMs?: number } = {}) {
    return this.app.api.systemCommandsExecute({
      body: { command, args, title: `soak ${command}`, reason: 'reliability soak', ...extra },
      respondAsync: true,
    });
  }

  async runOne(index: number, kind: RunKind): Promise<void> {
    const n = String(this.#next++);
    let runId: string | null = null;
    let got: string;
    try {
      runId = await this.start(kind, n);
      const run = await this.app.api.systemCommandsRunsGet({ params: { runId }, query: { waitMs: 20_000, limit: 1024 } });
      if (run.pid !== null) this.pids.add(run.pid);
      got = run.errorCode && run.state === 'rejected' ? `${run.state}/${run.errorCode}` : run.state;
    } catch (error) {
      got = error instanceof BridgeClientError ? `error ${error.status} ${error.code}: ${error.message}` : `error: ${String(error)}`;
    }
    const expected = EXPECTED[kind].errorCode ? `${EXPECTED[kind].state}/${EXPECTED[kind].errorCode}` : EXPECTED[kind].state;
    const counts = (this.outcomes[kind] ??= {});
    counts[got] = (counts[got] ?? 0) + 1;
    if (got !== expected) this.mismatches.push({ index, kind, runId, expected, got });
  }

  /** Starts a run of `kind` and does what ends it (terminate, reject…); returns its id. */
  async start(kind: RunKind, n: string): Promise<string> {
    // The same argv every time: each script is allowed by its own exact rule.
    const shell = (script: string, extra: { timeoutMs?: number } = {}) => this.execute('sh', ['-c', script, 'soak'], extra);
    switch (kind) {
      case 'completes':
        return (await shell(SCRIPTS.completes)).runId;
      case 'fails':
        return (await shell(SCRIPTS.fails)).runId;
      case 'timed_out':
        return (await shell(SCRIPTS.long, { timeoutMs: 150 + Math.floor(this.random() * 450) })).runId;
      case 'terminated':
      case 'terminated_stubborn': {
        const { runId, state } = await shell(kind === 'terminated' ? SCRIPTS.long : SCRIPTS.stubborn);
        const after = Math.floor(this.random() * 300);
        if (state !== 'running') throw new Error(`a whitelisted run ${runId} answered ${state}, not running`);
        await sleep(after);
        await this.app.api.systemCommandsRunsTerminate({ params: { runId } });
        return runId;
      }
      case 'rejected':
      case 'expired': {
        // Not whitelisted (only the four shell scripts are): the user is asked.
        const { runId, promptId, state } = await this.execute('echo', ['soak', n]);
        if (state !== 'awaiting_permission' || !promptId) throw new Error(`run ${runId} answered ${state} without a prompt`);
        if (kind === 'rejected') {
          await sleep(Math.floor(this.random() * 200));
          await this.ui.api.systemPermissionsPromptsResolve({ params: { requestId: promptId }, body: { decision: 'reject' } });
        }
        return runId;
      }
    }
  }
}
