import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import pino from 'pino';
import WebSocket from 'ws';
import { OutputChunkDecoder } from '../src/client/output-chunks.js';
import type { BridgeEvent } from '../src/client/route-types.js';
import { handshake, startTestBridge } from '../test/support/test-bridge.js';
import { openFrames, type FrameReader } from '../test/support/ws-frames.js';
import type { BenchRow } from './table.js';

const PRINT_BYTES = fileURLToPath(new URL('../test/fixtures/print-bytes.mjs', import.meta.url));
const THROUGHPUT_BYTES = 200 * 1024 * 1024;
const LATENCY_SAMPLES = 15;
const BYTES_TIMEOUT_MS = 120_000;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * Command output through the whole bridge (process → run actor's output → bus → event log →
 * WebSocket → a client parsing frames) against the same command piped straight into a Node reader,
 * both measured here: stdout throughput of 200 MB, and spawn-to-first-byte latency. The command
 * is whitelisted first, so no person is needed.
 */
export async function benchCommands(): Promise<BenchRow[]> {
  const bridge = await startTestBridge({
    dev: true,
    logger: pino({ level: 'silent' }),
    // A client in this very process keeps up; the ring stays small so 200 MB are not retained.
    config: { commandPath: 'inherited', wsQueueLimit: 100_000, eventBufferSize: 64 },
  });
  try {
    const { headers, token } = await handshake(bridge);
    const post = (args: string[]) =>
      fetch(`${bridge.baseUrl}/api/v1/system/commands/execute`, {
        method: 'POST',
        headers: { ...headers, prefer: 'respond-async' },
        body: JSON.stringify({ command: process.execPath, args, title: 'bench', reason: 'bench' }),
      }).then((r) => r.json() as Promise<{ runId: string; promptId?: string; state: string }>);
    const execute = async (args: string[]) => {
      const reply = await post(args);
      if (reply.promptId || !reply.runId) throw new Error(`the bench command was not allowed by its rule: ${JSON.stringify(reply)}`);
      return reply;
    };
    // One prompt per command, answered with an exact rule: every later run starts at once. (A
    // prefix rule `node print-bytes.mjs *` is refused: `node` is an interpreter.)
    for (const args of [[PRINT_BYTES, '1'], [PRINT_BYTES, String(THROUGHPUT_BYTES)]]) {
      const first = await post(args);
      await fetch(`${bridge.baseUrl}/api/v1/system/permissions/prompts/${first.promptId}/resolve`, {
        method: 'POST',
        headers: { origin: bridge.origin, 'content-type': 'application/json', 'x-osloop-ui-token': bridge.uiToken },
        body: JSON.stringify({ decision: 'allow_and_whitelist' }),
      });
    }

    const eventsUrl = `${bridge.baseUrl.replace('http', 'ws')}/ws/v1/events?sessionToken=${token}&types=system.command.stdout`;
    // Each row with its own socket: a JSON socket open during the throughput run would serialise
    // every chunk for itself too.
    const throughput = await throughputRows(() => openBinaryOutput(`${eventsUrl}&outputFrames=${process.env.BENCH_OUTPUT_FRAMES ?? "binary"}`, bridge.origin), execute);
    const socket = await openFrames(eventsUrl, bridge.origin);
    try {
      const latency = await latencyRows(socket, execute);
      return [throughput, latency];
    } finally {
      socket.socket.close();
    }
  } finally {
    await bridge.close();
  }
}

type Execute = (args: string[]) => Promise<{ runId: string; state: string }>;

/** Bytes of stdout a run delivered to the socket, counted from the frames as they arrive. */
function bytesOf(socket: FrameReader, runId: string, target: number): Promise<void> {
  let seen = 0;
  let counted = 0;
  return new Promise((resolve, reject) => {
    const onClose = () => reject(new Error(`socket closed after ${seen} bytes`));
    const onMessage = () => {
      for (; counted < socket.frames.length; counted++) {
        const data = socket.frames[counted]!.data as { runId?: string; bytes?: number } | undefined;
        if (data?.runId === runId) seen += data.bytes ?? 0;
      }
      // Frames already counted are dropped so 200 MB are not kept.
      socket.frames.splice(0, counted);
      counted = 0;
      if (seen >= target) {
        socket.socket.off('message', onMessage);
        socket.socket.off('close', onClose);
        resolve();
      }
    };
    socket.socket.on('message', onMessage);
    socket.socket.once('close', onClose);
    // Bounded in time whatever happens.
    setTimeout(() => reject(new Error(`only ${seen} of ${target} bytes arrived in ${BYTES_TIMEOUT_MS} ms`)), BYTES_TIMEOUT_MS).unref();
  });
}

/**
 * The typed client's way (`outputFrames=binary`): output chunks as binary frames, each decoded
 * back into its event (UTF-8 text included) by the client's own decoder.
 */
function openBinaryOutput(url: string, origin: string): Promise<{ bytesOf(runId: string, target: number): Promise<void>; close(): void }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers: { origin }, perMessageDeflate: false });
    const decoder = new OutputChunkDecoder();
    let waiting: { runId: string; target: number; seen: number; done(): void } | undefined;
    socket.on('message', (data, isBinary) => {
      if (!waiting) return;
      const event = isBinary ? decoder.decode(data as Buffer) : (JSON.parse(String(data)) as BridgeEvent);
      if (event?.type !== 'system.command.stdout' || event.data.runId !== waiting.runId) return;
      waiting.seen += event.data.bytes;
      if (event.data.chunk.length === 0 && event.data.bytes > 0) throw new Error('a chunk decoded to no text');
      if (waiting.seen >= waiting.target) waiting.done();
    });
    socket.once('error', reject);
    socket.once('open', () =>
      resolve({
        bytesOf: (runId, target) =>
          new Promise<void>((done, fail) => {
            const timer = setTimeout(() => fail(new Error(`only ${waiting?.seen} of ${target} bytes arrived in ${BYTES_TIMEOUT_MS} ms`)), BYTES_TIMEOUT_MS);
            socket.once('close', () => fail(new Error(`socket closed after ${waiting?.seen} bytes`)));
            waiting = { runId, target, seen: 0, done: () => (clearTimeout(timer), done()) };
          }),
        close: () => socket.close(),
      }),
    );
  });
}

async function throughputRows(openSocket: () => ReturnType<typeof openBinaryOutput>, execute: Execute): Promise<BenchRow> {
  const cpuMs = (since: NodeJS.CpuUsage) => {
    const used = process.cpuUsage(since);
    return (used.user + used.system) / 1000;
  };
  const directCpu = process.cpuUsage();
  const directStart = performance.now();
  let direct = 0;
  const child = execa(process.execPath, [PRINT_BYTES, String(THROUGHPUT_BYTES)], { buffer: false, encoding: 'buffer' });
  child.stdout.on('data', (chunk: Buffer) => void (direct += chunk.length));
  await child;
  const directMs = performance.now() - directStart;
  const directCpuMs = cpuMs(directCpu);
  if (direct !== THROUGHPUT_BYTES) throw new Error(`direct read ${direct} bytes`);

  const socket = await openSocket();
  try {
    const bridgeCpu = process.cpuUsage();
    const bridgeStart = performance.now();
    const run = await execute([PRINT_BYTES, String(THROUGHPUT_BYTES)]);
    await socket.bytesOf(run.runId, THROUGHPUT_BYTES);
    const bridgeMs = performance.now() - bridgeStart;
    const bridgeCpuMs = cpuMs(bridgeCpu);
    const perMiB = (ms: number) => (ms / (THROUGHPUT_BYTES / 2 ** 20)).toFixed(2);

    const mbps = (ms: number) => THROUGHPUT_BYTES / 2 ** 20 / (ms / 1000);
    return {
      name: 'command stdout, 200 MB, to a WebSocket client',
      value: mbps(bridgeMs),
      unit: 'MiB/s',
      baseline: mbps(directMs),
      ratio: mbps(bridgeMs) / mbps(directMs),
      note: `client: binary output frames (outputFrames=binary), decoded to text by the typed client's decoder; baseline: the same command piped straight into a Node reader (execa); CPU of this process (bridge and client) ${perMiB(bridgeCpuMs)} ms/MiB vs the reader's ${perMiB(directCpuMs)} ms/MiB; load average ${os.loadavg()[0]!.toFixed(1)}`,
    };
  } finally {
    socket.close();
  }
}

async function latencyRows(socket: FrameReader, execute: Execute): Promise<BenchRow> {
  const direct: number[] = [];
  const viaBridge: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const start = performance.now();
    const child = execa(process.execPath, [PRINT_BYTES, '1'], { buffer: false, encoding: 'buffer' });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    direct.push(performance.now() - start);
    await child;

    const bridgeStart = performance.now();
    const run = await execute([PRINT_BYTES, '1']);
    await bytesOf(socket, run.runId, 1);
    viaBridge.push(performance.now() - bridgeStart);
  }
  return {
    name: 'spawn to first stdout byte (median)',
    value: median(viaBridge),
    unit: 'ms',
    baseline: median(direct),
    ratio: median(viaBridge) / median(direct),
    note: `${LATENCY_SAMPLES} runs; bridge: POST execute (whitelisted) → first stdout frame on the socket; baseline: execa → first data`,
  };
}
