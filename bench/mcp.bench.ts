import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import pino from 'pino';
import { createBridgeClient, type BridgeClient } from '../src/client/index.js';
import { EVERYTHING_ENTRY, startEverythingHttp, type RunningHttpServer } from '../test/fixtures/mcp/everything.js';
import { startTestBridge } from '../test/support/test-bridge.js';
import type { BenchRow } from './table.js';

const WARMUP_CALLS = 50;
const MEASURED_CALLS = 400;
/** Each latency phase stops early after this long, so a slow machine still finishes in time. */
const LATENCY_PHASE_MS = 3_000;
const CONCURRENT_SERVERS = 8;
/** Each throughput phase runs this long. */
const RATE_PHASE_MS = 2_000;

type Call = () => Promise<unknown>;
type Approve = (promptId: string) => Promise<void>;

const RESOURCE_URI = 'demo://resource/static/document/architecture.md';
/** No waiting between steps: what is measured is carrying the notifications. */
const PROGRESS_ARGS = { duration: 0, steps: 5 };

/**
 * `mcp/call` on server-everything's `echo`: through the whole bridge (typed HTTP client → bridge
 * → bus → MCP connection → stdio server) against the same call made directly with the SDK
 * client on its own server process, in the same run; then 8 servers called at once (Streamable
 * HTTP, so the bridge and the direct clients share the same 8 server processes).
 */
export async function benchMcp(): Promise<BenchRow[]> {
  const bridge = await startTestBridge({ dev: true, logger: pino({ level: 'silent' }), config: { commandPath: 'inherited', mcp: { pingIntervalMs: 0 } } });
  const client = createBridgeClient({ baseUrl: bridge.baseUrl, origin: bridge.origin, clientName: 'bench' });
  // The user approves each connection in the bridge's own window (a session may not approve itself).
  const approve: Approve = async (promptId) => {
    const response = await fetch(`${bridge.baseUrl}/api/v1/system/permissions/prompts/${promptId}/resolve`, {
      method: 'POST',
      headers: { origin: bridge.origin, 'content-type': 'application/json', 'x-osloop-ui-token': bridge.uiToken },
      body: JSON.stringify({ decision: 'allow_once' }),
    });
    if (!response.ok) throw new Error(`approving ${promptId}: ${response.status} ${await response.text()}`);
  };
  const direct: Client[] = [];
  let servers: RunningHttpServer[] = [];
  try {
    await client.handshake();
    const [serverId, stdioClient] = await Promise.all([
      connectStdioThroughBridge(client, approve),
      openDirect(new StdioClientTransport({ command: process.execPath, args: [EVERYTHING_ENTRY, 'stdio'], stderr: 'ignore' })),
    ]);
    direct.push(stdioClient);
    const viaBridge: Call = () => client.api.mcpCall({ body: { serverId, tool: 'echo', arguments: { message: 'bench' } } });
    const viaSdk: Call = () => echo(stdioClient);

    await sequential(viaBridge, WARMUP_CALLS);
    await sequential(viaSdk, WARMUP_CALLS);
    const bridgeLatency = await sequential(viaBridge, MEASURED_CALLS, LATENCY_PHASE_MS);
    const sdkLatency = await sequential(viaSdk, MEASURED_CALLS, LATENCY_PHASE_MS);

    // A resource read, and a call that reports progress (each step an event to the web app).
    const readViaBridge: Call = () => client.api.mcpResourcesRead({ body: { serverId, uri: RESOURCE_URI } });
    const readViaSdk: Call = () => stdioClient.readResource({ uri: RESOURCE_URI });
    const progressViaBridge: Call = () => client.api.mcpCall({ body: { serverId, tool: 'trigger-long-running-operation', arguments: PROGRESS_ARGS } });
    const progressViaSdk: Call = () =>
      stdioClient.request({ method: 'tools/call', params: { name: 'trigger-long-running-operation', arguments: PROGRESS_ARGS } }, CallToolResultSchema, { onprogress: () => {} });
    for (const call of [readViaBridge, readViaSdk, progressViaBridge, progressViaSdk]) await sequential(call, WARMUP_CALLS / 5);
    const readBridge = await sequential(readViaBridge, MEASURED_CALLS, LATENCY_PHASE_MS);
    const readSdk = await sequential(readViaSdk, MEASURED_CALLS, LATENCY_PHASE_MS);
    const progressBridge = await sequential(progressViaBridge, MEASURED_CALLS, LATENCY_PHASE_MS);
    const progressSdk = await sequential(progressViaSdk, MEASURED_CALLS, LATENCY_PHASE_MS);

    servers = await Promise.all(Array.from({ length: CONCURRENT_SERVERS }, () => startEverythingHttp('streamableHttp')));
    const bridgeCalls = await Promise.all(servers.map((server, i) => connectHttpThroughBridge(client, approve, `bench-${i}`, server.url)));
    const directClients = await Promise.all(servers.map((server) => openDirect(new StreamableHTTPClientTransport(new URL(server.url)))));
    direct.push(...directClients);
    const bridgeRate = await concurrentRate(bridgeCalls.map((id) => () => client.api.mcpCall({ body: { serverId: id, tool: 'echo', arguments: { message: 'bench' } } })));
    const directRate = await concurrentRate(directClients.map((c) => () => echo(c)));

    const note = `${bridgeLatency.length} / ${sdkLatency.length} sequential calls, after ${WARMUP_CALLS} warm-up`;
    return [
      row('mcp/call echo p50 (bridge vs direct SDK, stdio)', percentile(bridgeLatency, 0.5), percentile(sdkLatency, 0.5), 'ms', note),
      row('mcp/call echo p99 (bridge vs direct SDK, stdio)', percentile(bridgeLatency, 0.99), percentile(sdkLatency, 0.99), 'ms', note),
      row('mcp/resources/read p50 (bridge vs direct SDK, stdio)', percentile(readBridge, 0.5), percentile(readSdk, 0.5), 'ms', `${readBridge.length} / ${readSdk.length} sequential reads`),
      row(
        `mcp/call with ${PROGRESS_ARGS.steps} progress notifications p50 (bridge vs direct SDK, stdio)`,
        percentile(progressBridge, 0.5),
        percentile(progressSdk, 0.5),
        'ms',
        `${progressBridge.length} / ${progressSdk.length} sequential calls; the bridge publishes each step as mcp.call.progress`,
      ),
      row(
        `mcp/call echo, ${CONCURRENT_SERVERS} servers at once (bridge vs direct SDK, HTTP)`,
        bridgeRate,
        directRate,
        'calls/s',
        `one sequential caller per server, ${RATE_PHASE_MS / 1000} s each`,
      ),
    ];
  } finally {
    client.close();
    await Promise.all(direct.map((c) => c.close().catch(() => {})));
    await bridge.close();
    await Promise.all(servers.map((server) => server.stop()));
  }
}

/** Registers server-everything over stdio, approves it once as the user would, and waits until it is connected. */
async function connectStdioThroughBridge(client: BridgeClient, approve: Approve): Promise<string> {
  const args = [EVERYTHING_ENTRY, 'stdio'];
  const { serverId } = await client.api.mcpServersRegister({
    body: { name: 'bench-stdio', transport: { type: 'stdio', command: process.execPath, args, template: { command: process.execPath, args } } },
  });
  const { promptId } = await client.api.mcpServersConnect({ params: { serverId } });
  if (promptId) await approve(promptId);
  await waitConnected(client, serverId);
  return serverId;
}

async function connectHttpThroughBridge(client: BridgeClient, approve: Approve, name: string, url: string): Promise<string> {
  const { serverId } = await client.api.mcpServersRegister({ body: { name, transport: { type: 'streamable-http', url } } });
  const { promptId } = await client.api.mcpServersConnect({ params: { serverId } });
  if (promptId) await approve(promptId);
  await waitConnected(client, serverId);
  return serverId;
}

async function waitConnected(client: BridgeClient, serverId: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const server = (await client.api.mcpServersList()).servers.find((s) => s.serverId === serverId);
    if (server?.state === 'connected') return;
    if (server?.state === 'failed' || Date.now() > deadline) throw new Error(`bench server ${serverId} did not connect: ${server?.state} ${server?.lastError ?? ''}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function openDirect(transport: Transport): Promise<Client> {
  const client = new Client({ name: 'bench-direct', version: '0' });
  await client.connect(transport);
  return client;
}

const echo = (client: Client) => client.request({ method: 'tools/call', params: { name: 'echo', arguments: { message: 'bench' } } }, CallToolResultSchema);

/** Latencies of up to `count` calls made one after the other (stopping after `maxMs`), in ms. */
async function sequential(call: Call, count: number, maxMs = Number.POSITIVE_INFINITY): Promise<number[]> {
  const latencies: number[] = [];
  const deadline = performance.now() + maxMs;
  for (let i = 0; i < count && performance.now() < deadline; i++) {
    const start = performance.now();
    await call();
    latencies.push(performance.now() - start);
  }
  return latencies;
}

/** Calls per second with one sequential caller per entry of `calls`, all running for `RATE_PHASE_MS`. */
async function concurrentRate(calls: Call[]): Promise<number> {
  await Promise.all(calls.map((call) => sequential(call, 5)));
  const start = performance.now();
  const done = await Promise.all(calls.map((call) => sequential(call, Number.POSITIVE_INFINITY, RATE_PHASE_MS)));
  const total = done.reduce((sum, latencies) => sum + latencies.length, 0);
  return total / ((performance.now() - start) / 1000);
}

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function row(name: string, value: number, baseline: number, unit: string, note: string): BenchRow {
  return { name, value, unit, baseline, ratio: value / baseline, note };
}
