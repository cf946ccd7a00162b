import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createBridgeClient, type BridgeClient } from '../../../src/client/index.js';
import { BridgeClientError } from '../../../src/client/errors.js';
import http from 'node:http';
import { agentFetch, percentile, seededRandom } from './probes.js';

/**
 * The load generator of the sessions workload: `sessions` web-app sessions (each with its own
 * handshake and token) calling a mix of routes closed-loop for `durationMs`, with every call's
 * latency recorded by kind. It runs in a process of its own (`generateInChildProcess`), so that
 * what it measures is the bridge's latency, not the generator's share of one event loop.
 */

export const CALL_KINDS = ['bridge.info', 'system.info', 'commands.execute', 'commands.run_wait', 'commands.runs', 'filesystem.read', 'permissions.rules', 'mcp.capabilities'] as const;
export type CallKind = (typeof CALL_KINDS)[number];

export interface LoadTarget {
  baseUrl: string;
  origin: string;
  /** A 1 KiB file the sessions read (inside a read-only root). */
  file: string;
  /** A connected server-everything whose tools they list. */
  serverId: string;
  sessions: number;
  durationMs: number;
  log?: (line: string) => void;
}

export interface GeneratedLoad {
  handshakeMs: number;
  durationMs: number;
  requests: number;
  ok: number;
  /** Documented refusals: 429 `rate_limited` when the run queue is full. */
  expected: Record<string, number>;
  unexpected: number;
  unexpectedSamples: string[];
  latency: Record<CallKind | 'all', { count: number; p50: number; p99: number; max: number }>;
  runsStarted: number;
  /** The slowest calls (over 1 s), with when they started after the first session began calling. */
  slowest: Array<{ kind: CallKind; startedAtMs: number; latencyMs: number }>;
}

/** Every session does these in a random order, one after another, as fast as replies come. */
const MIX: Array<[Exclude<CallKind, 'commands.run_wait'>, number]> = [
  ['bridge.info', 15],
  ['system.info', 10],
  ['commands.execute', 20],
  ['commands.runs', 15],
  ['filesystem.read', 15],
  ['permissions.rules', 15],
  ['mcp.capabilities', 10],
];

/** Hand-shakes every session, then calls until the deadline; closes the clients whatever happens. */
export async function generateSessionLoad(target: LoadTarget): Promise<GeneratedLoad> {
  const clients: BridgeClient[] = [];
  const agents: http.Agent[] = [];
  /**
   * Each session is a browser tab: its own keep-alive connections (at most 6, a browser's limit
   * per host), opened by its handshake and reused. One pool shared by all sessions (the global
   * fetch) kept opening new connections mid-load, and under load the bridge reads the first
   * request of a new connection only after a long wait (see docs/performance.md, load).
   */
  const tabAgent = () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 6 });
    agents.push(agent);
    return agent;
  };
  try {
    const handshakeStarted = Date.now();
    const sessions = await Promise.all(
      Array.from({ length: target.sessions }, async (_, i) => {
        const client = createBridgeClient({ baseUrl: target.baseUrl, origin: target.origin, clientName: `load ${i}`, fetch: agentFetch(tabAgent()) });
        clients.push(client);
        await client.handshake();
        return client;
      }),
    );
    const handshakeMs = Date.now() - handshakeStarted;
    target.log?.(`load: ${target.sessions} sessions hand-shaken in ${handshakeMs} ms; calling for ${target.durationMs} ms`);

    const latencies = Object.fromEntries(CALL_KINDS.map((kind) => [kind, [] as number[]])) as Record<CallKind, number[]>;
    const expected: Record<string, number> = {};
    const unexpectedSamples: string[] = [];
    let unexpected = 0;
    let ok = 0;
    let runsStarted = 0;

    const slowest: GeneratedLoad['slowest'] = [];
    const note = (kind: CallKind, start: number, latency: number) => {
      if (latency < 1_000) return;
      slowest.push({ kind, startedAtMs: Math.round(start - loadStart), latencyMs: Math.round(latency) });
      slowest.sort((a, b) => b.latencyMs - a.latencyMs);
      slowest.length = Math.min(slowest.length, 20);
    };
    const loadStart = performance.now();
    const timed = async <T>(kind: CallKind, call: () => Promise<T>): Promise<T | undefined> => {
      const start = performance.now();
      try {
        const value = await call();
        latencies[kind].push(performance.now() - start);
        note(kind, start, performance.now() - start);
        ok++;
        return value;
      } catch (error) {
        latencies[kind].push(performance.now() - start);
        note(kind, start, performance.now() - start);
        if (error instanceof BridgeClientError && error.status === 429 && error.code === 'rate_limited' && kind === 'commands.execute') {
          expected['429 rate_limited'] = (expected['429 rate_limited'] ?? 0) + 1;
        } else {
          unexpected++;
          const text = error instanceof BridgeClientError ? `${kind}: ${error.status} ${error.code} ${error.message}` : `${kind}: ${String(error)}`;
          if (unexpectedSamples.length < 20) unexpectedSamples.push(text);
        }
        return undefined;
      }
    };

    const deadline = Date.now() + target.durationMs;
    const started = Date.now();
    await Promise.all(
      sessions.map(async (client, i) => {
        const random = seededRandom(i + 1);
        let n = 0;
        while (Date.now() < deadline) {
          n++;
          const kind = pickCall(random());
          const { api } = client;
          switch (kind) {
            case 'bridge.info':
              await timed(kind, () => api.bridgeInfo());
              break;
            case 'system.info':
              await timed(kind, () => api.systemInfo());
              break;
            case 'commands.runs':
              await timed(kind, () => api.systemCommandsRunsList({ query: { limit: 20 } }));
              break;
            case 'filesystem.read':
              await timed(kind, async () => {
                const read = await api.filesystemRead({ body: { path: target.file } });
                if (read.size !== 1024) throw new Error(`read ${read.size} bytes`);
              });
              break;
            case 'permissions.rules':
              await timed(kind, () => api.systemPermissionsRulesList());
              break;
            case 'mcp.capabilities':
              await timed(kind, async () => {
                const capabilities = await api.mcpServersCapabilities({ params: { serverId: target.serverId } });
                if (!capabilities.tools.some((tool) => tool.name === 'echo')) throw new Error('no echo tool listed');
              });
              break;
            case 'commands.execute': {
              const run = await timed(kind, () => api.systemCommandsExecute({ body: echoBody(`${i}-${n}`) }));
              if (!run) break;
              runsStarted++;
              await timed('commands.run_wait', async () => {
                const done = await api.systemCommandsRunsGet({ params: { runId: run.runId }, query: { waitMs: 30_000 } });
                if (done.state !== 'completed') throw new Error(`run ${run.runId} ended ${done.state}`);
              });
              break;
            }
          }
        }
      }),
    );
    const durationMs = Date.now() - started;
    const all = CALL_KINDS.flatMap((kind) => latencies[kind]);
    const stats = (values: number[]) => ({ count: values.length, p50: percentile(values, 50), p99: percentile(values, 99), max: values.reduce((a, b) => Math.max(a, b), 0) });
    const latency = Object.fromEntries([...CALL_KINDS.map((kind) => [kind, stats(latencies[kind])]), ['all', stats(all)]]) as GeneratedLoad['latency'];
    return { handshakeMs, durationMs, requests: all.length, ok, expected, unexpected, unexpectedSamples, latency, runsStarted, slowest };
  } finally {
    for (const client of clients) client.close();
    for (const agent of agents) agent.destroy();
  }
}

const CHILD_ENTRY = fileURLToPath(new URL('./load-generator-process.ts', import.meta.url));

/**
 * Runs `generateSessionLoad` in a new Node process (TypeScript through tsx's loader) and resolves
 * with what it measured; its log lines come back through `log`. Rejects if it fails or exits early.
 */
export function generateInChildProcess(target: LoadTarget): Promise<GeneratedLoad> {
  const { log, ...plain } = target;
  return new Promise((resolve, reject) => {
    const child = fork(CHILD_ENTRY, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let settled = false;
    child.on('message', (message: { kind: 'log'; line: string } | { kind: 'done'; result: GeneratedLoad } | { kind: 'failed'; error: string }) => {
      if (message.kind === 'log') log?.(message.line);
      else if (message.kind === 'done') {
        settled = true;
        resolve(message.result);
      } else {
        settled = true;
        reject(new Error(`the load generator failed: ${message.error}`));
      }
    });
    child.once('error', (error) => {
      if (!settled) reject(error);
      settled = true;
    });
    child.once('exit', (code, signal) => {
      if (!settled) reject(new Error(`the load generator exited (${code ?? signal}) before it reported`));
      settled = true;
    });
    child.send({ kind: 'start', target: plain });
  });
}

export function echoBody(tag: string) {
  const args = ['load', tag];
  return { command: 'echo', args, title: 'load echo', reason: 'reliability load' };
}

/** A call kind from a number in [0, 1), by the weights of MIX. */
function pickCall(roll: number): Exclude<CallKind, 'commands.run_wait'> {
  const total = MIX.reduce((sum, [, weight]) => sum + weight, 0);
  let left = roll * total;
  for (const [kind, weight] of MIX) {
    left -= weight;
    if (left < 0) return kind;
  }
  return MIX[0]![0];
}
