import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import pino from 'pino';
import type { RunningBridge } from '../src/bridge.js';
import { handshake, startTestBridge, type TestBridge } from '../test/support/test-bridge.js';
import type { BenchRow } from './table.js';

const SELF = fileURLToPath(import.meta.url);
const INHIBITOR = fileURLToPath(new URL('../test/fixtures/awake-inhibitor.mjs', import.meta.url));
/** Set in the child processes this bench starts: `idle` or `loaded`. */
const CHILD_ENV = 'OSLOOP_BENCH_ACTORS_CHILD';
const LIVE_ACTORS = 1_000;
/** The non-session part of the mix; sessions fill the rest up to LIVE_ACTORS. */
const PENDING_PROMPTS = 150;
const AWAKE_LOCKS = 50;
const LONG_RUNS = 25;
const CHILD_TIMEOUT_MS = 180_000;

interface ChildReport {
  rss: number;
  heapUsed: number;
  /** Live actors by kind, as the runtime lists them (the root bridge actor excluded). */
  actors: Record<string, number>;
}

/**
 * Bridge RSS with 1,000 live actors against the same bridge idle, each measured in a fresh child
 * process (so neither the bench's own allocations nor the other state is counted), after a full
 * GC. The live actors are a realistic mix counted through the runtime: web-app sessions, command
 * runs waiting on a permission prompt (run + prompt), awake locks and long runs holding an awake
 * lock (run + lock), each created through the HTTP routes.
 */
export async function benchActors(): Promise<BenchRow[]> {
  const idle = await measureInChild('idle');
  const loaded = await measureInChild('loaded');
  const live = Object.values(loaded.actors).reduce((sum, n) => sum + n, 0);
  const mib = (bytes: number) => bytes / 2 ** 20;
  const mix = Object.entries(loaded.actors)
    .sort(([, a], [, b]) => b - a)
    .map(([kind, n]) => `${n} ${kind}`)
    .join(', ');
  return [
    {
      name: `bridge RSS with ${live.toLocaleString('en-US')} live actors`,
      value: mib(loaded.rss),
      unit: 'MiB',
      baseline: mib(idle.rss),
      ratio: loaded.rss / idle.rss,
      note: `fresh process each, after GC; ${mix}; baseline: the same bridge idle; heap ${mib(loaded.heapUsed).toFixed(0)} vs ${mib(idle.heapUsed).toFixed(0)} MiB`,
    },
  ];
}

async function measureInChild(mode: 'idle' | 'loaded'): Promise<ChildReport> {
  const child = await execa(process.execPath, ['--expose-gc', '--import', 'tsx', SELF], {
    env: { [CHILD_ENV]: mode },
    timeout: CHILD_TIMEOUT_MS,
    reject: false,
  });
  const line = child.stdout.split('\n').find((l) => l.startsWith('{'));
  if (child.exitCode !== 0 || !line) throw new Error(`actors bench child (${mode}) failed: ${child.exitCode}\n${child.stderr.slice(-2000)}`);
  return JSON.parse(line) as ChildReport;
}

/** Runs in the child: starts a bridge, creates the actors (when `loaded`), reports its memory. */
async function childMain(mode: 'idle' | 'loaded'): Promise<void> {
  const bridge = await startTestBridge({
    dev: true,
    logger: pino({ level: 'silent' }),
    config: {
      commandPath: 'inherited',
      maxConcurrentRuns: LIVE_ACTORS,
      handshakeRateLimit: { max: 100_000, windowMs: 60_000 },
      killGraceMs: 200,
      awake: { inhibitorCommand: [process.execPath, INHIBITOR, '{pid}', '{reason}'] },
    },
  });
  try {
    if (mode === 'loaded') await createActors(bridge);
    await settle();
    const { rss, heapUsed } = process.memoryUsage();
    process.stdout.write(`${JSON.stringify({ rss, heapUsed, actors: liveActors(bridge) } satisfies ChildReport)}\n`);
  } finally {
    await bridge.close();
  }
}

async function createActors(bridge: TestBridge): Promise<void> {
  const session = await handshake(bridge);
  const call = async (path: string, body: unknown, headers: Record<string, string> = session.headers) => {
    const response = await fetch(`${bridge.baseUrl}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as { runId?: string; promptId?: string };
  };
  const execute = (command: string, args: string[], extra: Record<string, unknown> = {}) =>
    call('/api/v1/system/commands/execute', { command, args, template: { command, args }, title: 'bench', reason: 'bench', ...extra });

  // Long runs: `sleep` allowed once with a rule, then each run holds an awake lock while it lives.
  const first = await execute('sleep', ['3600']);
  await call(`/api/v1/system/permissions/prompts/${first.promptId}/resolve`, { decision: 'allow_and_whitelist', ruleArgsPrefix: 0 }, {
    origin: bridge.origin,
    'content-type': 'application/json',
    'x-osloop-ui-token': bridge.uiToken,
  });
  for (let i = 1; i < LONG_RUNS; i++) await execute('sleep', ['3600'], { keepAwake: true });
  // Runs waiting for the user: each is a run actor plus a pending prompt actor.
  for (let i = 0; i < PENDING_PROMPTS; i++) await execute('echo', [`pending ${i}`]);
  for (let i = 0; i < AWAKE_LOCKS; i++) await call('/api/v1/awake/acquire', { reason: `bench ${i}` });
  // Sessions fill the rest, counted through the runtime rather than assumed.
  for (let missing = LIVE_ACTORS - count(bridge); missing > 0; missing = LIVE_ACTORS - count(bridge)) {
    await Promise.all(Array.from({ length: Math.min(missing, 50) }, () => handshake(bridge)));
  }
}

function liveActors(bridge: RunningBridge): Record<string, number> {
  const counts = bridge.runtime.counts();
  delete counts.bridge;
  return counts;
}

function count(bridge: RunningBridge): number {
  return Object.values(liveActors(bridge)).reduce((sum, n) => sum + n, 0);
}

/** Lets timers and processes settle, then collects garbage so RSS shows what is live. */
async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const childMode = process.env[CHILD_ENV];
if (childMode === 'idle' || childMode === 'loaded') {
  await childMain(childMode);
  process.exit(0);
}
