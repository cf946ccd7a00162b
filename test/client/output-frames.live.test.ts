import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { createBridgeClient, type BridgeClient, type BridgeEvent } from '../../src/client/index.js';
import { decodeOutputFrame } from '../../src/contract/output-frame.js';
import { TEST_ORIGIN, startLiveBridge, type LiveBridge } from './live-bridge.js';

/**
 * Binary output frames (`outputFrames=binary`, the typed client's default) against a real bridge
 * and a real process: the client yields the same events as a JSON socket, bytes and text intact,
 * offsets contiguous, and a stream resumed with `since` replays them.
 */

// A run whose output splits characters across reads: 'a' and half of 'é', then (after the first
// write has been read) the rest, then 200 KB of 3-byte characters, several pipe reads long.
const SCRIPT = [
  "process.stdout.write(Buffer.from([0x61, 0xc3]), () => setTimeout(() => {",
  "  process.stdout.write(Buffer.from([0xa9, 0x62]));",
  "  process.stdout.write('\\u20ac'.repeat(70000) + '\\n');",
  "}, 50));",
].join('\n');
const EXPECTED = `a\u00e9b${'\u20ac'.repeat(70_000)}\n`;

let live: LiveBridge;
let client: BridgeClient;
beforeAll(async () => {
  live = await startLiveBridge({ approvals: { localOnly: false }, eventBufferSize: 1_000 });
  client = createBridgeClient({ baseUrl: live.baseUrl, origin: TEST_ORIGIN, clientName: 'output frames tests' });
  await client.handshake();
}, 60_000);
afterAll(async () => {
  client?.close();
  await live?.dispose();
});

type OutputEvent = Extract<BridgeEvent, { type: 'system.command.stdout' }>;

/** Events of one run up to its completion, read without closing the stream. */
async function untilCompleted(stream: AsyncIterator<BridgeEvent>, runId: () => string | undefined): Promise<BridgeEvent[]> {
  const seen: BridgeEvent[] = [];
  for (;;) {
    const next = await stream.next();
    if (next.done) throw new Error(`the stream ended after ${seen.length} events`);
    seen.push(next.value);
    if (next.value.type === 'system.command.completed' && next.value.data.runId === runId()) return seen;
  }
}

const stdoutOf = (events: BridgeEvent[], runId: string) =>
  events.filter((e): e is OutputEvent => e.type === 'system.command.stdout' && e.data.runId === runId);

describe('binary output frames', () => {
  it('yield the events a JSON socket yields, every byte and character intact, and replay with since', async () => {
    const types = ['system.command.*'];
    const binary = client.events({ types, signal: AbortSignal.timeout(60_000) });
    const json = client.events({ types, outputFrames: 'json', signal: AbortSignal.timeout(60_000) });
    // Both live before the run starts, so that both see all of it.
    await vi.waitFor(() => expect(binary.lastSeq !== undefined && json.lastSeq !== undefined).toBe(true), { timeout: 30_000 });
    const before = binary.lastSeq!;

    const accepted = await client.api.systemCommandsExecute({ body: { command: process.execPath, args: ['-e', SCRIPT], reason: 'output frames test' }, respondAsync: true });
    const runId = accepted.runId;
    await binary.resolvePrompt(String(accepted.promptId), { decision: 'allow_once' });
    const [fromBinary, fromJson] = await Promise.all([untilCompleted(binary, () => runId), untilCompleted(json, () => runId)]);

    const chunks = stdoutOf(fromBinary, runId);
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.map((c) => c.data.chunk).join('')).toBe(EXPECTED);
    let offset = 0;
    for (const chunk of chunks) {
      expect(chunk.data.offset).toBe(offset);
      offset += chunk.data.bytes;
    }
    expect(offset).toBe(Buffer.byteLength(EXPECTED));
    // Chunk for chunk what JSON carries: the same seqs, offsets and text.
    expect(chunks).toEqual(stdoutOf(fromJson, runId));
    expect(fromBinary.map((e) => e.seq)).toEqual(fromJson.map((e) => e.seq));

    const replay = client.events({ types, since: before, signal: AbortSignal.timeout(60_000) });
    try {
      const replayed = await untilCompleted(replay, () => runId);
      expect(stdoutOf(replayed, runId)).toEqual(chunks);
    } finally {
      replay.close();
      binary.close();
      json.close();
    }
  }, 60_000);

  it('come only to a socket that asks for them: the web app\'s default stays JSON text', async () => {
    const token = client.session!.sessionToken;
    const base = `${live.baseUrl.replace('http', 'ws')}/ws/v1/events?sessionToken=${token}&types=system.command.*`;
    const open = (query: string) =>
      new Promise<{ frames: Array<{ binary: boolean; data: Buffer }>; socket: WebSocket }>((resolve, reject) => {
        const socket = new WebSocket(`${base}${query}`, { headers: { origin: TEST_ORIGIN } });
        const frames: Array<{ binary: boolean; data: Buffer }> = [];
        socket.on('message', (data, isBinary) => {
          frames.push({ binary: isBinary, data: data as Buffer });
          if (!isBinary && JSON.parse(String(data)).type === 'ready') resolve({ frames, socket });
        });
        socket.once('error', reject);
      });
    const plain = await open('');
    const asked = await open('&outputFrames=binary');
    try {
      const accepted = await client.api.systemCommandsExecute({ body: { command: 'echo', args: ['binary?'], reason: 'output frames test' }, respondAsync: true });
      const answers = client.events({ signal: AbortSignal.timeout(30_000) });
      await answers.resolvePrompt(String(accepted.promptId), { decision: 'allow_once' });
      answers.close();
      const completed = (frames: Array<{ binary: boolean; data: Buffer }>) =>
        frames.some((f) => !f.binary && String(f.data).includes('"system.command.completed"') && String(f.data).includes(accepted.runId));
      await expect.poll(() => completed(plain.frames) && completed(asked.frames), { timeout: 30_000 }).toBe(true);

      expect(plain.frames.every((f) => !f.binary)).toBe(true);
      const binaryFrames = asked.frames.filter((f) => f.binary).map((f) => decodeOutputFrame(f.data));
      expect(binaryFrames.map((frame) => frame && { ...frame.header, text: Buffer.from(frame.bytes).toString() })).toEqual([
        expect.objectContaining({ type: 'system.command.stdout', data: { runId: accepted.runId, offset: 0, bytes: 8 }, text: 'binary?\n' }),
      ]);
      // Everything but output chunks is still JSON on the binary socket.
      expect(asked.frames.filter((f) => !f.binary).map((f) => JSON.parse(String(f.data)).type)).toContain('system.command.completed');
    } finally {
      plain.socket.close();
      asked.socket.close();
    }
  }, 60_000);
});
