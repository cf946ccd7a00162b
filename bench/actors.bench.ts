import { fileURLToPath } from 'node:url';
import { bridgeSession, startCompiledBridge, type CompiledBridge } from './support/compiled-bridge.js';
import type { BenchRow } from './table.js';

const INHIBITOR = fileURLToPath(new URL('../test/fixtures/awake-inhibitor.mjs', import.meta.url));
const LIVE_ACTORS = 1_000;
/** The non-session part of the mix; sessions fill the rest up to LIVE_ACTORS. */
const PENDING_PROMPTS = 150;
const AWAKE_LOCKS = 50;
const LONG_RUNS = 25;

interface Measured {
  rss: number;
  heapUsed: number;
  /** Live actors by kind, as the runtime lists them (the root bridge actor excluded). */
  actors: Record<string, number>;
}

/**
 * Bridge RSS with 1,000 live actors against the same bridge idle, each a fresh bridge process run
 * as users run it (the compiled CLI), measured after a full GC (bench/support/memory-probe.mjs).
 * The live actors are a realistic mix counted through the bridge's own status route: web-app
 * sessions, command runs waiting on a permission prompt (run + prompt), awake locks and long runs
 * holding an awake lock (run + lock), each created through the HTTP routes.
 */
export async function benchActors(): Promise<BenchRow[]> {
  const idle = await measure('idle');
  const loaded = await measure('loaded');
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
      note: `compiled bridge, fresh process each, after GC; ${mix}; baseline: the same bridge idle; heap ${mib(loaded.heapUsed).toFixed(0)} vs ${mib(idle.heapUsed).toFixed(0)} MiB`,
    },
  ];
}

async function measure(mode: 'idle' | 'loaded'): Promise<Measured> {
  const bridge = await startCompiledBridge({
    commandPath: 'inherited',
    maxConcurrentRuns: LIVE_ACTORS,
    handshakeRateLimit: { max: 100_000, windowMs: 60_000 },
    killGraceMs: 200,
    awake: { inhibitorCommand: [process.execPath, INHIBITOR, '{pid}', '{reason}'] },
  });
  try {
    if (mode === 'loaded') await createActors(bridge);
    // Lets timers and processes settle before the probe collects garbage and reads memory.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const { rss, heapUsed } = await bridge.memory();
    return { rss, heapUsed, actors: await liveActors(bridge) };
  } finally {
    await bridge.stop();
  }
}


async function createActors(bridge: CompiledBridge): Promise<void> {
  const session = await bridgeSession(bridge);
  const call = async (path: string, body: unknown, headers: Record<string, string> = session.headers) => {
    // respond-async: the reply comes at once with the run and its prompt, not after the decision.
    const response = await fetch(`${bridge.baseUrl}${path}`, { method: 'POST', headers: { ...headers, prefer: 'respond-async' }, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as { runId?: string; promptId?: string };
  };
  const execute = (command: string, args: string[], extra: Record<string, unknown> = {}) =>
    call('/api/v1/system/commands/execute', { command, args, reason: 'bench', ...extra });

  // Long runs: `sleep` allowed once with a rule, then each run holds an awake lock while it lives.
  const first = await execute('sleep', ['3600']);
  await call(`/api/v1/system/permissions/prompts/${first.promptId}/resolve`, { decision: 'allow_and_whitelist' }, bridge.uiHeaders);
  for (let i = 1; i < LONG_RUNS; i++) await execute('sleep', ['3600'], { keepAwake: true });
  // Runs waiting for the user: each is a run actor plus a pending prompt actor.
  for (let i = 0; i < PENDING_PROMPTS; i++) await execute('echo', [`pending ${i}`]);
  for (let i = 0; i < AWAKE_LOCKS; i++) await call('/api/v1/awake/acquire', { reason: `bench ${i}` });
  // Sessions fill the rest, counted through the runtime rather than assumed.
  for (let missing = LIVE_ACTORS - (await count(bridge)); missing > 0; missing = LIVE_ACTORS - (await count(bridge))) {
    await Promise.all(Array.from({ length: Math.min(missing, 50) }, () => bridgeSession(bridge)));
  }
}

async function liveActors(bridge: CompiledBridge): Promise<Record<string, number>> {
  const response = await fetch(`${bridge.baseUrl}/api/v1/ui/status`, { headers: bridge.uiHeaders });
  const { actors } = (await response.json()) as { actors: Record<string, number> };
  delete actors.bridge;
  return actors;
}

async function count(bridge: CompiledBridge): Promise<number> {
  return Object.values(await liveActors(bridge)).reduce((sum, n) => sum + n, 0);
}
