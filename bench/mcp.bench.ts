import { readFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { createBridgeClient, type BridgeClient } from '../src/client/index.js';
import { EVERYTHING_ENTRY, startEverythingHttp, type RunningHttpServer } from '../test/fixtures/mcp/everything.js';
import { startCompiledBridge, type CompiledBridge } from './support/compiled-bridge.js';
import type { BenchRow } from './table.js';

const WARMUP_CALLS = 50;
const MEASURED_CALLS = 1_000;
/** Each latency phase stops early after this long, so a slow machine still finishes in time. */
const LATENCY_PHASE_MS = 6_000;
const CONCURRENT_SERVERS = 8;
/** The throughput phases alternate, bridge then direct, this many times, each this long. */
const RATE_ROUNDS = 6;
const RATE_PHASE_MS = 1_000;
/** Back-to-back calls of one kind before the next kind's turn. */
const BLOCK = 20;
/** Calls whose CPU cost in the bridge's process is read from /proc (the steady measure). */
const CPU_CALLS = 1_000;

type Call = () => Promise<unknown>;

const RESOURCE_URI = 'demo://resource/static/document/architecture.md';
const PROGRESS_STEPS = 5;
/** No waiting between steps: what is measured is carrying the notifications. */
const PROGRESS_ARGS = { duration: 0, steps: PROGRESS_STEPS };

/**
 * `mcp/call` on server-everything's `echo`: through the whole bridge (typed HTTP client → the
 * compiled bridge in its own process, as users run it → bus → MCP connection → stdio server)
 * against the same call made directly with the SDK client on its own server process. The two
 * take turns in blocks of calls, so both see the same load on a shared machine. Then 8 servers called at
 * once over Streamable HTTP (the bridge and the direct clients share the same 8 server processes).
 * `OSLOOP_BENCH_CPU_PROF=<dir>` writes a CPU profile of the bridge there.
 */
export async function benchMcp(): Promise<BenchRow[]> {
  const profileDir = process.env.OSLOOP_BENCH_CPU_PROF;
  const bridge = await startCompiledBridge({ commandPath: 'inherited', mcp: { pingIntervalMs: 0 } }, profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []);
  // MCP calls and resource reads go as request frames on the client's call socket (as a web app
  // opting in would send them); everything else, the HTTP floor included, stays HTTP.
  const client = createBridgeClient({ baseUrl: bridge.baseUrl, origin: bridge.origin, clientName: 'bench', callsOverSocket: true });
  const direct: Client[] = [];
  let servers: RunningHttpServer[] = [];
  try {
    await client.handshake();
    const [serverId, stdioClient] = await Promise.all([
      connectThroughBridge(client, bridge, { name: 'bench-stdio', transport: stdioTransport() }),
      openDirect(new StdioClientTransport({ command: process.execPath, args: [EVERYTHING_ENTRY, 'stdio'], stderr: 'ignore' })),
    ]);
    direct.push(stdioClient);
    const viaBridge: Call = () => client.api.mcpCall({ body: { serverId, tool: 'echo', arguments: { message: 'bench' } } });
    const viaSdk: Call = () => echo(stdioClient);
    // The HTTP round trip alone (same client, an authenticated route that does no MCP work).
    const httpFloor: Call = () => client.api.bridgeInfo();
    // The socket round trip alone: a call frame the bridge refuses after authorising it and
    // validating its body, before any MCP work.
    const socketFloor: Call = () =>
      client.api.mcpCall({ body: { serverId, tool: '', arguments: {} } }).then(
        () => Promise.reject(new Error('an empty tool name was accepted')),
        (error: unknown) => ((error as { code?: string }).code === 'invalid_request' ? undefined : Promise.reject(error)),
      );

    await interleaved([viaBridge, viaSdk, httpFloor, socketFloor], WARMUP_CALLS);
    const [bridgeLatency, sdkLatency, floorLatency, socketFloorLatency] = await interleaved([viaBridge, viaSdk, httpFloor, socketFloor], MEASURED_CALLS, LATENCY_PHASE_MS);
    const echoCpu = await bridgeCpuPerCall(bridge, viaBridge);
    const floorCpu = await bridgeCpuPerCall(bridge, httpFloor);
    const socketFloorCpu = await bridgeCpuPerCall(bridge, socketFloor);
    // The same two calls again, after the bridge calls above (up to ~6,000): V8 has optimised more
    // of the bridge's path (and of the direct client's), so this shows how much of the row is
    // code not yet optimised. The row itself stays the measure made right after the warm-up.
    const [bridgeLater, sdkLater] = await interleaved([viaBridge, viaSdk], MEASURED_CALLS / 2, LATENCY_PHASE_MS);

    // A resource read, and a call that reports progress (each step an event to the web app).
    const readViaBridge: Call = () => client.api.mcpResourcesRead({ body: { serverId, uri: RESOURCE_URI } });
    const readViaSdk: Call = () => stdioClient.readResource({ uri: RESOURCE_URI });
    await interleaved([readViaBridge, readViaSdk], WARMUP_CALLS / 5);
    const [readBridge, readSdk] = await interleaved([readViaBridge, readViaSdk], MEASURED_CALLS, LATENCY_PHASE_MS);
    const readCpu = await bridgeCpuPerCall(bridge, readViaBridge);

    const progress = await progressPhase(client, serverId, stdioClient);

    servers = await Promise.all(Array.from({ length: CONCURRENT_SERVERS }, () => startEverythingHttp('streamableHttp')));
    const bridgeCalls = await Promise.all(
      servers.map((server, i) => connectThroughBridge(client, bridge, { name: `bench-${i}`, transport: { type: 'streamable-http', url: server.url } })),
    );
    const directClients = await Promise.all(servers.map((server) => openDirect(new StreamableHTTPClientTransport(new URL(server.url)))));
    direct.push(...directClients);
    const rates = await alternatingRates(
      bridgeCalls.map((id) => () => client.api.mcpCall({ body: { serverId: id, tool: 'echo', arguments: { message: 'bench' } } })),
      directClients.map((c) => () => echo(c)),
      [bridge.pid, ...servers.map((server) => server.process.pid!)],
    );

    const cpuNote = (perCall: { bridge: number; client: number }) =>
      `CPU per call: the bridge ${Math.round(perCall.bridge)} µs (/proc; GET bridge/info ${Math.round(floorCpu.bridge)} µs), the bench's typed client ${Math.round(perCall.client)} µs (GET bridge/info ${Math.round(floorCpu.client)} µs)`;
    const echoNote = `${bridgeLatency.length} calls each, in alternating blocks of ${BLOCK}, after ${WARMUP_CALLS} warm-up; bridge calls are request frames on the typed client's call socket (callsOverSocket); the HTTP round trip alone (GET bridge/info, same client) p50 ${fmt(percentile(floorLatency, 0.5))} ms, p99 ${fmt(percentile(floorLatency, 0.99))} ms; the socket round trip alone (a refused call frame) p50 ${fmt(percentile(socketFloorLatency!, 0.5))} ms, CPU ${Math.round(socketFloorCpu.bridge)} µs in the bridge, ${Math.round(socketFloorCpu.client)} µs in the client; ${cpuNote(echoCpu)}; the same calls again after those (up to ~6,000 more bridge calls, V8 has optimised more of both sides): p50 ${fmt(percentile(bridgeLater!, 0.5))} vs ${fmt(percentile(sdkLater!, 0.5))} ms direct (${(percentile(bridgeLater!, 0.5) / percentile(sdkLater!, 0.5)).toFixed(2)}×)`;
    return [
      row('mcp/call echo p50 (bridge vs direct SDK, stdio)', percentile(bridgeLatency, 0.5), percentile(sdkLatency, 0.5), 'ms', echoNote),
      row('mcp/call echo p99 (bridge vs direct SDK, stdio)', percentile(bridgeLatency, 0.99), percentile(sdkLatency, 0.99), 'ms', echoNote),
      row('mcp/resources/read p50 (bridge vs direct SDK, stdio)', percentile(readBridge, 0.5), percentile(readSdk, 0.5), 'ms', `${readBridge.length} reads each, in alternating blocks of ${BLOCK}; ${cpuNote(readCpu)}`),
      row(
        `mcp/call with ${PROGRESS_STEPS} progress notifications p50 (bridge vs direct SDK, stdio)`,
        percentile(progress.bridge, 0.5),
        percentile(progress.sdk, 0.5),
        'ms',
        `${progress.bridge.length} calls each, in alternating blocks of ${BLOCK} (the phase stops after ${LATENCY_PHASE_MS / 1000} s); each of the ${progress.calls} bridge calls (warm-up included) completed ok, and all their ${progress.events} mcp.call.progress events reached an event socket`,
      ),
      row(
        `mcp/call echo, ${CONCURRENT_SERVERS} servers at once (bridge vs direct SDK, HTTP)`,
        rates.bridge,
        rates.direct,
        'calls/s',
        `one sequential caller per server; ${RATE_ROUNDS} rounds of ${RATE_PHASE_MS / 1000} s each, bridge and direct alternating; CPU per call of every process involved (bench, bridge, servers): ${Math.round(rates.bridgeCpu)} µs through the bridge, ${Math.round(rates.directCpu)} µs direct (CPU ratio ${(rates.directCpu / rates.bridgeCpu).toFixed(2)}, the steadier figure on a shared machine)`,
      ),
    ];
  } finally {
    client.close();
    await Promise.all(direct.map((c) => c.close().catch(() => {})));
    await bridge.stop();
    await Promise.all(servers.map((server) => server.stop()));
  }
}

function stdioTransport() {
  const args = [EVERYTHING_ENTRY, 'stdio'];
  return { type: 'stdio' as const, command: process.execPath, args, template: { command: process.execPath, args } };
}

/** Registers a server, approves its connection once as the user would (UI token), and waits until it is connected. */
async function connectThroughBridge(client: BridgeClient, bridge: CompiledBridge, body: Parameters<BridgeClient['api']['mcpServersRegister']>[0]['body']): Promise<string> {
  const { serverId } = await client.api.mcpServersRegister({ body });
  const { promptId } = await client.api.mcpServersConnect({ params: { serverId } });
  if (promptId) {
    // The user approves in the bridge's own window: a session may not approve itself.
    const response = await fetch(`${bridge.baseUrl}/api/v1/system/permissions/prompts/${promptId}/resolve`, {
      method: 'POST',
      headers: bridge.uiHeaders,
      body: JSON.stringify({ decision: 'allow_once' }),
    });
    if (!response.ok) throw new Error(`approving ${promptId}: ${response.status} ${await response.text()}`);
  }
  const deadline = Date.now() + 30_000;
  for (;;) {
    const server = (await client.api.mcpServersList()).servers.find((s) => s.serverId === serverId);
    if (server?.state === 'connected') return serverId;
    if (server?.state === 'failed' || Date.now() > deadline) throw new Error(`bench server ${serverId} did not connect: ${server?.state} ${server?.lastError ?? ''}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Progress calls through the bridge (each with its own call id) alternating with direct ones;
 * then every bridge call's `mcp.call.completed` and all of its progress events must have reached
 * an event socket, as the web app would see them. A call or an event lost fails the bench.
 */
async function progressPhase(client: BridgeClient, serverId: string, stdioClient: Client): Promise<{ bridge: number[]; sdk: number[]; calls: number; events: number }> {
  const stream = client.events({ types: ['mcp.call.progress', 'mcp.call.completed'] });
  const progressOf = new Map<string, number>();
  const completedOk = new Set<string>();
  const consumed = (async () => {
    for await (const event of stream) {
      const { callId } = event.data as { callId: string };
      if (event.type === 'mcp.call.progress') progressOf.set(callId, (progressOf.get(callId) ?? 0) + 1);
      if (event.type === 'mcp.call.completed' && (event.data as { ok: boolean }).ok) completedOk.add(callId);
    }
  })();
  try {
    await until(() => stream.lastSeq !== undefined, 'the event socket never became ready');
    let n = 0;
    const viaBridge: Call = () =>
      client.api.mcpCall({ body: { serverId, tool: 'trigger-long-running-operation', arguments: PROGRESS_ARGS, callId: `bench-progress-${n++}` } });
    const viaSdk: Call = () =>
      stdioClient.request({ method: 'tools/call', params: { name: 'trigger-long-running-operation', arguments: PROGRESS_ARGS } }, CallToolResultSchema, { onprogress: () => {} });
    await interleaved([viaBridge, viaSdk], WARMUP_CALLS / 5);
    const [bridge, sdk] = await interleaved([viaBridge, viaSdk], MEASURED_CALLS, LATENCY_PHASE_MS);
    const made = Array.from({ length: n }, (_, i) => `bench-progress-${i}`);
    const complete = () => made.every((id) => completedOk.has(id) && progressOf.get(id) === PROGRESS_STEPS);
    await until(complete, () => {
      const lost = made.filter((id) => !completedOk.has(id) || progressOf.get(id) !== PROGRESS_STEPS);
      return `${lost.length} of ${n} progress calls without their completion or all ${PROGRESS_STEPS} progress events, e.g. ${lost.slice(0, 3).map((id) => `${id}: ${progressOf.get(id) ?? 0}`).join(', ')}`;
    });
    return { bridge: bridge!, sdk: sdk!, calls: n, events: n * PROGRESS_STEPS };
  } finally {
    stream.close();
    await consumed.catch(() => {});
  }
}

async function until(condition: () => boolean, failure: string | (() => string), timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(typeof failure === 'string' ? failure : failure());
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function openDirect(transport: Transport): Promise<Client> {
  const client = new Client({ name: 'bench-direct', version: '0' });
  await client.connect(transport);
  return client;
}

const echo = (client: Client) => client.request({ method: 'tools/call', params: { name: 'echo', arguments: { message: 'bench' } } }, CallToolResultSchema);

/**
 * Latencies (ms) of up to `count` calls of each of `calls` (stopping after `maxMs`), made in
 * blocks of `block` back-to-back calls of one kind, the kinds taking turns in an order that
 * rotates: every kind sees the same stretches of the machine's load, which one phase per kind
 * does not, while each call still follows one of its own kind as before.
 */
async function interleaved(calls: Call[], count: number, maxMs = Number.POSITIVE_INFINITY, block = BLOCK): Promise<number[][]> {
  const latencies = calls.map((): number[] => []);
  const deadline = performance.now() + maxMs;
  for (let round = 0; round * block < count && performance.now() < deadline; round++) {
    for (let k = 0; k < calls.length; k++) {
      const which = (round + k) % calls.length;
      for (let i = 0; i < block && latencies[which]!.length < count; i++) {
        const start = performance.now();
        await calls[which]!();
        latencies[which]!.push(performance.now() - start);
      }
    }
  }
  return latencies;
}

/** CPU time (user + system, from /proc) the bridge's process spends per call, over `CPU_CALLS` sequential calls. */
/** CPU per call (µs) of the bridge's process, and of this one (the typed client's side). */
async function bridgeCpuPerCall(bridge: CompiledBridge, call: Call): Promise<{ bridge: number; client: number }> {
  const before = processCpuMicros(bridge.pid);
  const ownBefore = process.cpuUsage();
  for (let i = 0; i < CPU_CALLS; i++) await call();
  const own = process.cpuUsage(ownBefore);
  return { bridge: (processCpuMicros(bridge.pid) - before) / CPU_CALLS, client: (own.user + own.system) / CPU_CALLS };
}

function processCpuMicros(pid: number): number {
  // Fields after the command name: utime and stime are the 12th and 13th, in clock ticks (100 Hz).
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/**
 * Calls per second with one sequential caller per entry, all running at once: `RATE_ROUNDS`
 * rounds of the bridge's callers then the direct ones, so a change of the machine's load hits both.
 */
async function alternatingRates(bridgeCalls: Call[], directCalls: Call[], pids: number[]): Promise<{ bridge: number; direct: number; bridgeCpu: number; directCpu: number }> {
  const totals = { bridge: { calls: 0, ms: 0, cpu: 0 }, direct: { calls: 0, ms: 0, cpu: 0 } };
  // CPU of every process a call involves (this one, the bridge, the servers), so the cost per
  // call can be compared whatever else the machine runs.
  const cpuNow = () => {
    const own = process.cpuUsage();
    return own.user + own.system + pids.reduce((sum, pid) => sum + processCpuMicros(pid), 0);
  };
  await Promise.all([...bridgeCalls, ...directCalls].map((call) => interleaved([call], 5)));
  for (let round = 0; round < RATE_ROUNDS; round++) {
    for (const [side, calls] of [['bridge', bridgeCalls], ['direct', directCalls]] as const) {
      const start = performance.now();
      const cpuBefore = cpuNow();
      const done = await Promise.all(calls.map((call) => interleaved([call], Number.POSITIVE_INFINITY, RATE_PHASE_MS, 1)));
      totals[side].ms += performance.now() - start;
      totals[side].cpu += cpuNow() - cpuBefore;
      totals[side].calls += done.reduce((sum, [latencies]) => sum + latencies!.length, 0);
    }
  }
  return {
    bridge: totals.bridge.calls / (totals.bridge.ms / 1000),
    direct: totals.direct.calls / (totals.direct.ms / 1000),
    bridgeCpu: totals.bridge.cpu / totals.bridge.calls,
    directCpu: totals.direct.cpu / totals.direct.calls,
  };
}

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

const fmt = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms.toFixed(1));

function row(name: string, value: number, baseline: number, unit: string, note: string): BenchRow {
  return { name, value, unit, baseline, ratio: value / baseline, note };
}
