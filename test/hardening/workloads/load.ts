import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import WebSocket from 'ws';
import type { ReliabilitySize } from '../../../scripts/reliability/section.js';
import { subjectsFor } from '../../../src/bus/subjects.js';
import { WS_CLOSE_SLOW_CONSUMER } from '../../../src/contract/constants.js';
import { createBridgeClient, type BridgeClient } from '../../../src/client/index.js';
import { EVERYTHING_ENTRY } from '../../fixtures/mcp/everything.js';
import { handshake, startTestBridge, type TestBridge } from '../../support/test-bridge.js';
import { echoBody, generateInChildProcess } from './load-generator.js';
import { settledMemory } from './probes.js';

/**
 * The load workloads (issue 7): 100 WebSocket clients, one of them deliberately slow, receiving a
 * stream of events; and 200 sessions doing mixed calls for a while. Both run against a real
 * in-process bridge over real sockets; the clients share this process (and its CPU) with it.
 */

export interface LoadOptions {
  /** WebSocket clients, one of which is slow. */
  clients: number;
  events: number;
  sessions: number;
  durationMs: number;
  log?: (line: string) => void;
}

export const LOAD_SIZES: Record<ReliabilitySize, Omit<LoadOptions, 'log'>> = {
  ci: { clients: 100, events: 5_000, sessions: 200, durationMs: 5_000 },
  full: { clients: 100, events: 100_000, sessions: 200, durationMs: 60_000 },
};

/** One chunk of output (2 KiB, a few dozen lines), as a run streams it; its offset says which event it is. */
const LINE = `${'load output line\n'.repeat(121).slice(0, 2047)}\n`;
/** Events published before the publisher lets the healthy clients catch up. */
const BATCH = 100;
/** How far ahead of the slowest healthy client the publisher may run (with BATCH, well under `wsQueueLimit`). */
const WINDOW = 200;
/**
 * Frames queued for one socket before it is cut (default 2,000). Lowered so that the cut comes
 * within a known number of events: before it, a socket that stops reading absorbs what the
 * kernel buffers on loopback, which varies with autotuning (seen: 1.7–3.5 MB; at most about 4 MB,
 * the send buffer's ceiling, since a receive window that is never read stays small).
 */
const WS_QUEUE_LIMIT = 500;
/**
 * Events published while the slow client does not read, before it reads again: past the cut even
 * if the kernel absorbed 4 MB (≈ 2,000 of these events) before the live queue filled.
 */
const SLOW_PAUSE_EVENTS = 4_000;

const quietLogger = (errors: string[]): Logger =>
  pino(
    { level: 'error' },
    new Writable({
      write(chunk, _encoding, callback) {
        if (errors.length < 100) errors.push(String(chunk).slice(0, 500));
        callback();
      },
    }),
  );

// ---------------------------------------------------------------------------------------------
// 1. Event fan-out with a slow consumer
// ---------------------------------------------------------------------------------------------

/** What one socket saw, checked as it arrived (frames are not kept). */
interface StreamCheck {
  /** Synthetic events received (index = offset / LINE.length). */
  received: number;
  /** The next synthetic index expected: every one, in order. */
  nextIndex: number;
  lastSeq: number;
  gaps: number;
  outOfOrder: number;
  duplicates: number;
  /** Synthetic events that arrived with another index than the next one. */
  misplaced: number;
}

const newCheck = (startSeq: number): StreamCheck => ({ received: 0, nextIndex: 0, lastSeq: startSeq, gaps: 0, outOfOrder: 0, duplicates: 0, misplaced: 0 });

/** Checks one event frame against what the socket saw before; every seq must follow the last one. */
function check(state: StreamCheck, seq: number, data: { runId?: string; offset?: number }): void {
  if (seq === state.lastSeq) state.duplicates++;
  else if (seq < state.lastSeq) state.outOfOrder++;
  else if (seq > state.lastSeq + 1) state.gaps++;
  state.lastSeq = Math.max(state.lastSeq, seq);
  if (data.runId !== fanoutRun) return;
  const index = (data.offset ?? -1) / LINE.length;
  if (index !== state.nextIndex) state.misplaced++;
  state.nextIndex = index + 1;
  state.received++;
}
/**
 * The run whose output the fan-out streams: a real run of the sessions' origin, so that its
 * events reach those sessions (origins are isolated; output of a run nobody owns goes to the
 * local UI only). It waits for a permission nobody gives, so nothing real writes to it.
 */
let fanoutRun = '';

interface Client {
  socket: WebSocket;
  check: StreamCheck;
  closed: { code: number; reason: string } | null;
  ready: Promise<void>;
  closedPromise: Promise<{ code: number; reason: string }>;
  /** Event frames in arrival order as [seq, index or -1]; kept for the slow client only. */
  kept?: Array<[number, number]>;
}

/**
 * Opens one event socket; with `resume` (the `since` and the next synthetic index of a socket that
 * was cut), its first event must be `since + 1` and the events go on from that index.
 */
function openClient(url: string, origin: string, keep: boolean, onEvent: () => void, resume?: { since: number; nextIndex: number }): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers: { origin }, perMessageDeflate: false });
    let markReady: () => void = () => {};
    const client: Client = {
      socket,
      check: { ...newCheck(resume?.since ?? 0), nextIndex: resume?.nextIndex ?? 0 },
      closed: null,
      ready: new Promise((done) => (markReady = done)),
      closedPromise: new Promise((done) =>
        socket.on('close', (code, reason) => {
          client.closed = { code, reason: reason.toString() };
          done(client.closed);
        }),
      ),
      ...(keep ? { kept: [] } : {}),
    };
    let started = resume !== undefined;
    socket.on('message', (raw) => {
      const frame = JSON.parse(String(raw)) as { seq?: number; type: string; lastSeq?: number; data?: { runId?: string; offset?: number } };
      if (typeof frame.seq === 'number') {
        if (!started) {
          // The first event of a socket opened without `since` starts its sequence.
          client.check.lastSeq = frame.seq - 1;
          started = true;
        }
        const output = frame.type === 'system.command.stdout' ? (frame.data ?? {}) : {};
        check(client.check, frame.seq, output);
        client.kept?.push([frame.seq, output.runId === fanoutRun ? (output.offset ?? 0) / LINE.length : -1]);
        onEvent();
      } else if (frame.type === 'ready') {
        markReady();
      } else if (frame.type === 'replay_gap') {
        client.check.gaps++;
      }
    });
    socket.once('unexpected-response', (_request, response) => reject(new Error(`upgrade refused: ${response.statusCode}`)));
    socket.once('error', reject);
    socket.once('open', () => resolve(client));
  });
}

export interface FanoutResult {
  clients: number;
  events: number;
  /** Events every healthy client received (each should have all of them). */
  healthyReceivedMin: number;
  healthyClosedEarly: number;
  gaps: number;
  outOfOrder: number;
  duplicates: number;
  misplaced: number;
  slow: {
    closeCode: number | null;
    since: number | null;
    receivedBeforeCut: number;
    resumedWith: number;
    /** The synthetic events missing or repeated when what came before the cut and the replay are put together. */
    lost: number;
    repeated: number;
    gapsAfterResume: number;
    /** Connections it needed after the first cut (each resumed with the `since` of a 4008). */
    resumes: number;
  };
  wallMs: number;
  framesPerSecond: number;
  peakRss: number;
  peakHeap: number;
  heapAfter: number;
  errorLogs: string[];
}

/**
 * Publishes `events` output events through the bridge's event path and checks that 99 healthy
 * sockets see every one, in `seq` order, with no gap or duplicate, while one socket that stops
 * reading is closed with 4008 and resumes from the `since` of its close without loss.
 *
 * The events are published on `event.system.command.stdout`, the subject a run's output goes
 * out on, from there on the path is the real one: the event log numbers, checks and rings them,
 * republishes them on `seq.*`, and every socket's FramePump sends them. A real command cannot be
 * the source: its output is read in pipe-sized chunks (one event per read, up to 64 KiB), so
 * 100,000 events would need 100,000 separate reads, paced by the scheduler rather than by the
 * bridge.
 */
/** A slow client cut more often than this is not catching up at all. */
const MAX_RESUMES = 50;

export async function runEventFanout(options: Pick<LoadOptions, 'clients' | 'events' | 'log'>): Promise<FanoutResult> {
  const log = options.log ?? (() => {});
  const errorLogs: string[] = [];
  const bridge = await startTestBridge({
    dev: true,
    logger: quietLogger(errorLogs),
    // The ring holds the whole stream (by count and by bytes), so the slow client's resume cannot
    // meet a replay gap wherever it was cut.
    config: {
      eventBufferSize: options.events + 1_000,
      eventBufferBytes: (options.events + 1_000) * (LINE.length + 256),
      wsQueueLimit: WS_QUEUE_LIMIT,
      // The fan-out's run waits for its permission for the whole workload.
      promptTimeoutMs: 24 * 3_600_000,
    },
  });
  const peak = { rss: 0, heap: 0 };
  const sampler = setInterval(() => {
    const usage = process.memoryUsage();
    peak.rss = Math.max(peak.rss, usage.rss);
    peak.heap = Math.max(peak.heap, usage.heapUsed);
  }, 250);
  try {
    const healthySession = await handshake(bridge);
    const slowSession = await handshake(bridge);
    const pending = await fetch(`${bridge.baseUrl}/api/v1/system/commands/execute`, {
      method: 'POST',
      headers: { ...healthySession.headers, prefer: 'respond-async' },
      body: JSON.stringify({ command: 'sleep', args: ['3600'], reason: 'load: the run whose output the fan-out streams' }),
    });
    fanoutRun = ((await pending.json()) as { runId: string }).runId;
    const base = `${bridge.baseUrl.replace('http', 'ws')}/ws/v1/events?sessionToken=`;
    let wake: (() => void) | undefined;
    const onEvent = () => wake?.();

    const healthy: Client[] = [];
    for (let i = 0; i < options.clients - 1; i++) healthy.push(await openClient(`${base}${healthySession.token}`, bridge.origin, false, onEvent));
    const slow = await openClient(`${base}${slowSession.token}`, bridge.origin, true, () => {});
    await Promise.all([...healthy, slow].map((c) => c.ready));
    slow.socket.pause(); // stops reading: the kernel buffers fill, then its live queue
    log(`load: ${options.clients} sockets ready; publishing ${options.events} events`);

    const subject = subjectsFor(bridge.bridgeId).event('system.command.stdout');
    // Progress is the index after the newest event received: a lost event shows in the checks, not as a hang.
    const slowestHealthy = () => healthy.reduce((min, c) => (c.closed ? min : Math.min(min, c.check.nextIndex)), Number.POSITIVE_INFINITY);
    const caughtUp = (target: number) =>
      new Promise<void>((resolve) => {
        const test = () => {
          if (slowestHealthy() >= target) {
            wake = undefined;
            resolve();
          }
        };
        wake = test;
        test();
      });

    let resumed: Promise<Client> | undefined;
    const resumeSlow = async (): Promise<Client> => {
      slow.socket.resume();
      // A client that was never cut keeps its socket: the check below then finds no 4008.
      const { code, reason } = await Promise.race([slow.closedPromise, new Promise<{ code: number; reason: string }>((done) => setTimeout(() => done({ code: 0, reason: '' }), 120_000))]);
      const since = code === WS_CLOSE_SLOW_CONSUMER ? Number(/since=(\d+)/.exec(reason)?.[1]) : 0;
      log(`load: slow client closed ${code} (${reason}); resuming with since=${since}`);
      return openClient(`${base}${slowSession.token}&since=${since}`, bridge.origin, true, () => {}, { since, nextIndex: slow.check.nextIndex });
    };

    const started = Date.now();
    for (let i = 0; i < options.events; i++) {
      bridge.bus.publish(subject, { runId: fanoutRun, offset: i * LINE.length, bytes: LINE.length, chunk: LINE });
      if (i === Math.min(SLOW_PAUSE_EVENTS, Math.floor(options.events * 0.8))) resumed = resumeSlow();
      if (i % BATCH === BATCH - 1) await caughtUp(i + 1 - WINDOW);
    }
    resumed ??= resumeSlow();
    await withTimeout(caughtUp(options.events), 300_000, () => `healthy clients stuck at ${slowestHealthy()} of ${options.events}`);
    const wallMs = Date.now() - started;
    // A resumed client may be cut again while it catches up (the publisher waits for the healthy
    // ones only): like any client, it reconnects with the `since` of each 4008 until it has all.
    const resumes: Client[] = [await resumed];
    for (;;) {
      const current = resumes.at(-1)!;
      await withTimeout(
        new Promise<void>((resolve) => {
          const poll = () => (current.check.received > 0 && current.check.nextIndex >= options.events) || current.closed ? resolve() : setTimeout(poll, 20);
          poll();
        }),
        120_000,
        () => `the resumed slow client got only to index ${current.check.nextIndex} of ${options.events}`,
      );
      if (current.check.nextIndex >= options.events || current.closed?.code !== WS_CLOSE_SLOW_CONSUMER || resumes.length >= MAX_RESUMES) break;
      const since = Number(/since=(\d+)/.exec(current.closed.reason)?.[1]);
      resumes.push(await openClient(`${base}${slowSession.token}&since=${since}`, bridge.origin, true, () => {}, { since, nextIndex: current.check.nextIndex }));
    }
    const second = resumes.at(-1)!;

    // What the slow client saw: before the cut plus after every resume must be every event, once.
    const beforeCut = slow.kept!.filter(([, index]) => index >= 0).map(([, index]) => index);
    const afterResume = resumes.flatMap((c) => c.kept!.filter(([, index]) => index >= 0).map(([, index]) => index));
    const seen = new Map<number, number>();
    for (const index of [...beforeCut, ...afterResume]) seen.set(index, (seen.get(index) ?? 0) + 1);
    let lost = 0;
    for (let i = 0; i < options.events; i++) if (!seen.has(i)) lost++;
    const repeated = [...seen.values()].filter((n) => n > 1).length;
    const cutSeq = slow.kept!.at(-1)?.[0] ?? null;
    const since = slow.closed?.reason ? Number(/since=(\d+)/.exec(slow.closed.reason)?.[1] ?? NaN) : null;
    if (cutSeq !== null && since !== null && cutSeq !== since) log(`load: the slow client's last seq ${cutSeq} differs from since=${since}`);

    const sum = (pick: (c: StreamCheck) => number) => healthy.reduce((total, c) => total + pick(c.check), 0);
    const result: FanoutResult = {
      clients: options.clients,
      events: options.events,
      healthyReceivedMin: healthy.reduce((min, c) => Math.min(min, c.check.received), Number.POSITIVE_INFINITY),
      healthyClosedEarly: healthy.filter((c) => c.closed).length,
      gaps: sum((c) => c.gaps),
      outOfOrder: sum((c) => c.outOfOrder),
      duplicates: sum((c) => c.duplicates),
      misplaced: sum((c) => c.misplaced),
      slow: {
        closeCode: slow.closed?.code ?? null,
        since,
        receivedBeforeCut: beforeCut.length,
        resumedWith: afterResume.length,
        lost,
        repeated,
        gapsAfterResume: resumes.reduce((sum, c) => sum + c.check.gaps + c.check.outOfOrder + c.check.duplicates + c.check.misplaced, 0),
        resumes: resumes.length,
      },
      wallMs,
      framesPerSecond: ((options.clients - 1) * options.events) / (wallMs / 1000),
      peakRss: peak.rss,
      peakHeap: peak.heap,
      heapAfter: 0,
      errorLogs,
    };
    for (const client of [...healthy, second]) client.socket.close();
    result.heapAfter = (await settledMemory()).heapUsed;
    log(`load: fan-out done in ${wallMs} ms`);
    return result;
  } finally {
    clearInterval(sampler);
    await bridge.close();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message())), ms);
    }),
  ]);
}

// ---------------------------------------------------------------------------------------------
// 2. Many sessions, mixed calls
// ---------------------------------------------------------------------------------------------

import type { GeneratedLoad } from './load-generator.js';

export { CALL_KINDS, type CallKind } from './load-generator.js';

/** What the generator measured (429 `rate_limited` is expected while `maxConcurrentRuns` runs are live), and the bridge's side. */
export interface SessionsResult extends GeneratedLoad {
  sessions: number;
  throughput: number;
  errorLogs: string[];
}

/**
 * `sessions` web-app sessions (each with its own handshake and token) call a mix of routes for
 * `durationMs`, closed-loop. Every reply must be a success or a documented refusal; latency is
 * recorded per kind of call. The handshake rate limit (30 a minute by default, per address, and
 * every session here comes from 127.0.0.1) is raised to let the sessions in.
 */
export async function runMixedSessions(options: Pick<LoadOptions, 'sessions' | 'durationMs' | 'log'>): Promise<SessionsResult> {
  const log = options.log ?? (() => {});
  const errorLogs: string[] = [];
  const dir = await realpath(await mkdtemp(path.join(os.tmpdir(), 'osloop-load-')));
  const file = path.join(dir, 'notes.txt');
  await writeFile(file, 'load test notes\n'.repeat(64));
  let bridge: TestBridge | undefined;
  const clients: BridgeClient[] = [];
  try {
    bridge = await startTestBridge({
      dev: true,
      logger: quietLogger(errorLogs),
      config: {
        commandPath: 'inherited',
        handshakeRateLimit: { max: options.sessions + 50, windowMs: 60_000 },
        filesystem: { roots: [{ path: dir, access: 'read' }] },
        mcp: { pingIntervalMs: 0 },
      },
    });
    const ui = createBridgeClient({ baseUrl: bridge.baseUrl, origin: bridge.origin, uiToken: bridge.uiToken });
    const setup = createBridgeClient({ baseUrl: bridge.baseUrl, origin: bridge.origin, clientName: 'load setup' });
    await setup.handshake();
    clients.push(setup);
    // `echo *` whitelisted once, and server-everything connected, as the user would allow them.
    const first = await setup.api.systemCommandsExecute({ body: echoBody('setup'), respondAsync: true });
    await ui.api.systemPermissionsPromptsResolve({ params: { requestId: first.promptId! }, body: { decision: 'allow_and_whitelist', ruleArgsPrefix: 0 } });
    const args = [EVERYTHING_ENTRY, 'stdio'];
    const { serverId } = await setup.api.mcpServersRegister({
      body: { name: 'load-everything', transport: { type: 'stdio', command: process.execPath, args, template: { command: process.execPath, args } } },
    });
    const connect = await setup.api.mcpServersConnect({ params: { serverId } });
    if (connect.promptId) await ui.api.systemPermissionsPromptsResolve({ params: { requestId: connect.promptId }, body: { decision: 'allow_once' } });
    for (let i = 0; (await setup.api.mcpServersList()).servers.find((s) => s.serverId === serverId)?.state !== 'connected'; i++) {
      if (i > 600) throw new Error('server-everything did not connect');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    // Each kind once before the clock starts: the first system/info asks the login shell (up to 5 s).
    await setup.api.systemInfo();
    await setup.api.filesystemRead({ body: { path: file } });
    await setup.api.mcpServersCapabilities({ params: { serverId } });

    const generated = await generateInChildProcess({ baseUrl: bridge.baseUrl, origin: bridge.origin, file, serverId, sessions: options.sessions, durationMs: options.durationMs, log });
    await setup.api.mcpServersRemove({ params: { serverId } });
    log(`load: ${generated.requests} requests in ${generated.durationMs} ms, ${generated.unexpected} unexpected`);
    return {
      sessions: options.sessions,
      ...generated,
      throughput: generated.requests / (generated.durationMs / 1000),
      errorLogs,
    };
  } finally {
    for (const client of clients) client.close();
    await bridge?.close();
    await rm(dir, { recursive: true, force: true });
  }
}

