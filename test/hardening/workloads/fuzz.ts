import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import pino from 'pino';
import { subjectsFor } from '../../../src/bus/subjects.js';
import type { BridgeConfigInput } from '../../../src/config/config-schema.js';
import { ERROR_CODES } from '../../../src/contract/errors.js';
import { ROUTE_LIST } from '../../../src/contract/routes/index.js';
import { handshake, startTestBridge, type TestBridge } from '../../support/test-bridge.js';
import { DEAD_URL } from './fuzz-arbitraries.js';
import { HTTP_CATEGORIES, WS_CATEGORIES, categoryArbitrary, describeCase, routeModels, type Category, type FuzzCase, type FuzzTarget } from './fuzz-requests.js';
import { runWsCase, sendWire, type AnswerFrame, type WireOutcome, type WsCase, type WsOutcome } from './fuzz-wire.js';

/**
 * The fuzzing workload (issue 7): property-based requests against a real bridge on loopback, to
 * every route of the contract and both sockets, valid-shaped and hostile. It counts what came back
 * and what broke; the CI test asserts on these figures, `npm run reliability -- fuzz` reports them.
 */

/** Cases per CI run (issue 7: at least 10,000); the nightly size is ten times that. */
export const CI_FUZZ_CASES = 10_000;
export const FULL_FUZZ_CASES = 100_000;

export interface FuzzOptions {
  /** Cases in all, split across the categories by `CATEGORY_SHARE`. */
  cases: number;
  seed?: number;
  /** Find the shrunk counter-example of each failing category (replays it; slower). */
  shrink?: boolean;
  log?: (line: string) => void;
}

export interface FuzzFailure {
  category: Category;
  problem: string;
  /** The smallest failing case fast-check found (or the first one, if it did not fail again). */
  example: string;
  shrunk: boolean;
}

export interface FuzzFigures {
  seed: number;
  cases: Record<Category, number>;
  total: number;
  /** Cases per route id (and per socket path): every contract route must be here. */
  routes: Record<string, number>;
  /** Replies per route and status: shows how deep the cases got (2xx) besides the refusals. */
  routeStatuses: Record<string, Record<string, number>>;
  statuses: Record<string, number>;
  serverErrors: number;
  unstructured: number;
  unknownCodes: string[];
  /** Cases that got no HTTP reply or an unexpected socket close. */
  broken: number;
  /** Garbage that was not HTTP at all, closed without a reply: the parser's right answer. */
  droppedGarbage: number;
  /** Documented 501 `unsupported` refusals (a feature this machine lacks); not failures. */
  unsupported: number;
  crashes: { uncaught: string[]; unhandled: string[]; errorLogs: string[]; healthyAtEnd: boolean };
  sideEffects: { commandsStarted: number; installsStarted: number; mcpConnected: number; writesOutsideTarget: string[]; filesOutside: string[] };
  failures: FuzzFailure[];
  wallMs: number;
}

/** Share of the cases each category gets; the sockets are the slower, smaller part. */
export const CATEGORY_SHARE: Record<Category, number> = {
  'valid-shaped': 16,
  'mutated-body': 20,
  'malformed-json': 7,
  'oversized-body': 2,
  'content-type': 7,
  path: 11,
  query: 11,
  auth: 8,
  'raw-http': 7,
  'ws-upgrade': 7,
  'ws-frames': 4,
  'ws-requests': 4,
};

/** The fixed seed of CI runs; `FUZZ_SEED` replays another. */
export const DEFAULT_FUZZ_SEED = 7_2026;
const BODY_LIMIT = 64 * 1024;
const REPLY_TIMEOUT_MS = 40_000;
/** What a server may close a socket with: the contract's codes, and RFC 6455's answers to a bad frame. */
const ALLOWED_CLOSE_CODES = new Set([1000, 1001, 4001, 4008, 1002, 1007, 1009]);
const INHIBITOR = path.resolve(import.meta.dirname, '../../fixtures/awake-inhibitor.mjs');

/** A bridge whose side effects stay harmless: files in a temp target, prompts nobody answers. */
export function fuzzBridgeConfig(fsRoot: string): BridgeConfigInput {
  return {
    commandPath: 'inherited',
    promptTimeoutMs: 2_000,
    bodyLimitBytes: BODY_LIMIT,
    handshakeRateLimit: { max: 1_000_000, windowMs: 60_000 },
    filesystem: {
      roots: [
        { path: path.join(fsRoot, 'target'), access: 'read-write' },
        { path: path.join(fsRoot, 'readonly'), access: 'read' },
      ],
      nativePicker: 'off',
      uiPresenceMs: 3_600_000,
      maxReadBytes: 1024 * 1024,
      maxWriteBytes: 1024 * 1024,
    },
    awake: { inhibitorCommand: [process.execPath, INHIBITOR, '{pid}', '{reason}'], killGraceMs: 200, restart: { initialDelayMs: 50, maxDelayMs: 500, maxAttempts: 3, stableMs: 60_000 } },
    system: { probeTimeoutMs: 300, loginShellTimeoutMs: 500 },
    mcp: { reconnect: { maxAttempts: 0, initialDelayMs: 50, maxDelayMs: 100 }, connectTimeoutMs: 2_000, pingIntervalMs: 0, closeGraceMs: 200 },
  };
}

/** Splits `total` across categories by share; every category gets at least one case. */
export function splitCases(total: number): Record<Category, number> {
  const shares = Object.entries(CATEGORY_SHARE) as Array<[Category, number]>;
  const sum = shares.reduce((acc, [, share]) => acc + share, 0);
  return Object.fromEntries(shares.map(([category, share]) => [category, Math.max(1, Math.round((total * share) / sum))])) as Record<Category, number>;
}

type Verdict = { ok: true; status?: number; code?: string; dropped?: boolean; unsupported?: boolean } | { ok: false; kind: 'server_error' | 'unstructured' | 'broken'; problem: string; status?: number; code?: string };

/** Judges an HTTP reply: below 500, and every 4xx a registered error body with its status. */
export function judgeReply(fuzzCase: FuzzCase, outcome: WireOutcome): Verdict {
  if ('error' in outcome) {
    // Bytes that are not HTTP at all may be dropped by the parser: nothing to answer.
    if (fuzzCase.category === 'raw-http' && outcome.error === 'connection closed without a reply') return { ok: true, dropped: true };
    return { ok: false, kind: 'broken', problem: `no reply: ${outcome.error}` };
  }
  const { reply } = outcome;
  if (reply.status >= 500) return serverError(reply.status, reply.body);
  if (reply.status < 400) return { ok: true, status: reply.status };
  const method = 'request' in fuzzCase ? fuzzCase.request.method : 'GET';
  if (method === 'HEAD') return { ok: true, status: reply.status };
  return structuredError(reply.status, reply.body);
}

/**
 * Any 5xx fails, except the contract's documented refusal of a feature this machine lacks (501
 * `unsupported` with its reason, e.g. installing with a package manager that is not installed).
 * A route nobody serves (`not_implemented`) is a failure.
 */
function serverError(status: number, body: string): Verdict {
  const verdict = structuredError(status, body);
  if (status === 501 && verdict.ok && verdict.code === 'unsupported' && !body.includes('"reason":"not_implemented"')) return { ...verdict, unsupported: true };
  return { ok: false, kind: 'server_error', status, ...(verdict.code ? { code: verdict.code } : {}), problem: `${status} ${body.slice(0, 500)}` };
}

function structuredError(status: number, body: string): Verdict {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { ok: false, kind: 'unstructured', status, problem: `${status} with a body that is not JSON: ${JSON.stringify(body.slice(0, 300))}` };
  }
  const error = (parsed as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (!error || typeof error.code !== 'string' || typeof error.message !== 'string') {
    return { ok: false, kind: 'unstructured', status, problem: `${status} without { error: { code, message } }: ${body.slice(0, 300)}` };
  }
  const known = (ERROR_CODES as Record<string, { status: number }>)[error.code];
  if (!known) return { ok: false, kind: 'unstructured', status, code: error.code, problem: `${status} with unregistered code ${error.code}` };
  if (known.status !== status) return { ok: false, kind: 'unstructured', status, code: error.code, problem: `${error.code} is registered as ${known.status}, replied ${status}` };
  return { ok: true, status, code: error.code };
}

/** Judges a socket: refused with a structured 4xx, or served and closed only with an allowed code. */
export function judgeSocket(outcome: WsOutcome): Verdict {
  if (outcome.kind === 'error') return { ok: false, kind: 'broken', problem: `socket failed: ${outcome.error}` };
  if (outcome.kind === 'refused') {
    if (outcome.status >= 500) return serverError(outcome.status, outcome.body);
    return structuredError(outcome.status, outcome.body);
  }
  if (outcome.serverClose && !ALLOWED_CLOSE_CODES.has(outcome.serverClose.code)) {
    return { ok: false, kind: 'broken', problem: `server closed with ${outcome.serverClose.code} ${JSON.stringify(outcome.serverClose.reason)}` };
  }
  return { ok: true, status: 101 };
}

/**
 * Judges a script of request frames: the socket as above, every frame owed an answer answered
 * (unless a frame over the socket's limit closed it with 1009), each reply with a status below 500
 * and, for a 4xx, a registered error body; a reply names only an id the script sent, or null.
 */
export function judgeSocketRequests(wsCase: WsCase, outcome: WsOutcome): Verdict {
  const socket = judgeSocket(outcome);
  if (!socket.ok || outcome.kind !== 'served') return socket;
  const owed = wsCase.answers ?? 0;
  if (outcome.answers.length < owed && !(wsCase.oversized && outcome.serverClose?.code === 1009)) {
    return { ok: false, kind: 'broken', problem: `${outcome.answers.length} of ${owed} frames answered; the server closed with ${JSON.stringify(outcome.serverClose)}` };
  }
  const sentIds = new Set<unknown>(wsCase.frames.flatMap((frame) => (frame.kind === 'text' ? [idOf(frame.data)] : [])).filter((id) => typeof id === 'string'));
  let first: Verdict | null = null;
  for (const answer of outcome.answers) {
    const verdict = judgeAnswer(answer);
    if (!verdict.ok) return verdict;
    if (answer.type === 'reply' && answer.id !== null && !sentIds.has(answer.id)) return { ok: false, kind: 'broken', problem: `a reply names an id nobody sent: ${JSON.stringify(answer.id)}` };
    first ??= verdict;
  }
  return first ?? socket;
}

function judgeAnswer(answer: AnswerFrame): Verdict {
  if (answer.type === 'prompt.resolve.result') {
    // A frame that is not a request at all is read as a prompt answer and refused as one.
    const error = answer.error as { code?: unknown } | null | undefined;
    const known = typeof error?.code === 'string' ? (ERROR_CODES as Record<string, { status: number }>)[error.code] : undefined;
    if (!known) return { ok: false, kind: 'unstructured', problem: `an unreadable frame's result has no registered error: ${JSON.stringify(answer).slice(0, 300)}` };
    return structuredError(known.status, JSON.stringify({ error }));
  }
  if (typeof answer.status !== 'number') return { ok: false, kind: 'broken', problem: `a reply without a status: ${JSON.stringify(answer).slice(0, 300)}` };
  const body = JSON.stringify(answer.body) ?? '';
  if (answer.status >= 500) return serverError(answer.status, body);
  if (answer.status < 400) return { ok: true, status: answer.status };
  return structuredError(answer.status, body);
}

function idOf(text: string): unknown {
  try {
    return (JSON.parse(text) as { id?: unknown } | null)?.id;
  } catch {
    return undefined;
  }
}

async function runCase(port: number, fuzzCase: FuzzCase): Promise<Verdict> {
  if ('ws' in fuzzCase) {
    const outcome = await runWsCase(port, fuzzCase.ws, REPLY_TIMEOUT_MS);
    return fuzzCase.category === 'ws-requests' ? judgeSocketRequests(fuzzCase.ws, outcome) : judgeSocket(outcome);
  }
  return judgeReply(fuzzCase, await sendWire(port, fuzzCase.request, REPLY_TIMEOUT_MS));
}

/** Starts a fuzz-ready bridge (see `fuzzBridgeConfig`) with its file targets and a captured log. */
export async function startFuzzBridge(): Promise<{ bridge: TestBridge; fsRoot: string; errorLogs: string[]; close(): Promise<void> }> {
  const fsRoot = await mkdtemp(path.join(os.tmpdir(), 'osloop-fuzz-fs-'));
  for (const dir of ['target', 'readonly', 'outside']) await mkdir(path.join(fsRoot, dir));
  await writeFile(path.join(fsRoot, 'target', 'existing.txt'), 'hello');
  await writeFile(path.join(fsRoot, 'readonly', 'keep.txt'), 'read only');
  await writeFile(path.join(fsRoot, 'outside', 'secret.txt'), 'outside');
  const errorLogs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n')) {
        if (line && (JSON.parse(line) as { level: number }).level >= 50) errorLogs.push(line.slice(0, 2000));
      }
      callback();
    },
  });
  const bridge = await startTestBridge({ config: fuzzBridgeConfig(fsRoot), logger: pino({ level: 'warn' }, sink) });
  return {
    bridge,
    fsRoot,
    errorLogs,
    async close() {
      await bridge.close();
      await rm(fsRoot, { recursive: true, force: true });
    },
  };
}

/** Runs the fuzzer against a fresh bridge and returns its figures. Never throws for a failing case. */
export async function runFuzz(options: FuzzOptions): Promise<FuzzFigures> {
  const seed = options.seed ?? DEFAULT_FUZZ_SEED;
  const log = options.log ?? (() => {});
  const started = Date.now();
  const crashes = { uncaught: [] as string[], unhandled: [] as string[] };
  const onUncaught = (error: unknown) => void crashes.uncaught.push(String((error as Error)?.stack ?? error).slice(0, 2000));
  const onUnhandled = (reason: unknown) => void crashes.unhandled.push(String((reason as Error)?.stack ?? reason).slice(0, 2000));
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUnhandled);

  const { bridge, fsRoot, errorLogs, close } = await startFuzzBridge();
  const sideEffects = { commandsStarted: 0, installsStarted: 0, mcpConnected: 0, writesOutsideTarget: [] as string[], filesOutside: [] as string[] };
  const targetDir = path.join(fsRoot, 'target');
  const watch = bridge.bus.subscribe(subjectsFor(bridge.bridgeId).allEvents, (message) => {
    const type = message.subject.slice(message.subject.indexOf('.event.') + '.event.'.length);
    const data = message.data as Record<string, unknown>;
    if (type === 'system.command.started') sideEffects.commandsStarted++;
    if (type === 'system.tool.install_started') sideEffects.installsStarted++;
    if (type === 'mcp.server.state_changed' && data.state === 'connected') sideEffects.mcpConnected++;
    if (type === 'filesystem.written' && !String(data.path).startsWith(`${targetDir}${path.sep}`)) sideEffects.writesOutsideTarget.push(String(data.path));
  });

  try {
    const { token } = await handshake(bridge);
    const target: FuzzTarget = {
      port: bridge.port(),
      origin: bridge.origin,
      sessionToken: token,
      uiToken: bridge.uiToken,
      bodyLimitBytes: BODY_LIMIT,
      dictionary: [
        targetDir,
        path.join(targetDir, 'existing.txt'),
        path.join(targetDir, 'new.txt'),
        path.join(targetDir, 'sub', 'deep', 'new.txt'),
        path.join(targetDir, '..', 'outside', 'secret.txt'),
        path.join(fsRoot, 'readonly', 'keep.txt'),
        path.join(fsRoot, 'outside', 'x.txt'),
        `${targetDir}/\0.txt`,
        '/etc/passwd',
        'echo',
        'git',
        'node',
        DEAD_URL,
      ],
    };
    // The bridge UI counts as open once it listed pickers: select then opens a picker, not 501.
    await sendWire(target.port, { method: 'GET', target: '/api/v1/ui/pickers', headers: [['Host', `127.0.0.1:${target.port}`], ['x-osloop-ui-token', target.uiToken]] }, REPLY_TIMEOUT_MS);

    const models = routeModels(target.dictionary);
    const plan = splitCases(options.cases);
    const figures = emptyFigures(seed);
    const firstFailure = new Map<Category, { fuzzCase: FuzzCase; problem: string }>();
    const categories = [...HTTP_CATEGORIES, ...WS_CATEGORIES];

    // One lane per category, all at once: the bridge sees concurrent traffic, each lane stays reproducible.
    await Promise.all(
      categories.map(async (category, index) => {
        const arbitrary = categoryArbitrary(category, target, models);
        await fc.check(
          fc.asyncProperty(arbitrary, async (fuzzCase) => {
            const t0 = Date.now();
            const verdict = await runCase(target.port, fuzzCase);
            if (Date.now() - t0 > 5000) log(`SLOW ${Date.now() - t0} ms: ${describeCase(fuzzCase).slice(0, 300)}`);
            record(figures, fuzzCase, verdict);
            if (!verdict.ok && !firstFailure.has(category)) firstFailure.set(category, { fuzzCase, problem: verdict.problem });
            return true;
          }),
          { numRuns: plan[category], seed: seed + index, endOnFailure: true },
        );
        log(`fuzz: ${category} done (${figures.cases[category]} cases)`);
      }),
    );

    for (const [category, first] of firstFailure) {
      const failure: FuzzFailure = { category, problem: first.problem, example: describeCase(first.fuzzCase), shrunk: false };
      if (options.shrink !== false) {
        const arbitrary = categoryArbitrary(category, target, models);
        let lastProblem = first.problem;
        const details = await fc.check(
          fc.asyncProperty(arbitrary, async (fuzzCase) => {
            const verdict = await runCase(target.port, fuzzCase);
            if (!verdict.ok) lastProblem = verdict.problem;
            return verdict.ok;
          }),
          { numRuns: plan[category], seed: seed + categories.indexOf(category), interruptAfterTimeLimit: 120_000 },
        );
        if (details.failed && details.counterexample) {
          failure.example = describeCase(details.counterexample[0]);
          failure.problem = lastProblem;
          failure.shrunk = true;
        }
      }
      figures.failures.push(failure);
    }

    const health = await sendWire(target.port, { method: 'GET', target: '/api/v1/health', headers: [['Host', `127.0.0.1:${target.port}`]] }, REPLY_TIMEOUT_MS);
    figures.crashes.healthyAtEnd = 'reply' in health && health.reply.status === 200;
    for (const route of ROUTE_LIST) figures.routes[route.id] ??= 0;
    sideEffects.filesOutside = [
      ...(await readdir(path.join(fsRoot, 'outside'))).filter((f) => f !== 'secret.txt'),
      ...(await readdir(path.join(fsRoot, 'readonly'))).filter((f) => f !== 'keep.txt'),
      ...(await readdir(fsRoot)).filter((f) => !['target', 'readonly', 'outside'].includes(f)),
    ];
    figures.sideEffects = sideEffects;
    figures.crashes.uncaught = crashes.uncaught;
    figures.crashes.unhandled = crashes.unhandled;
    figures.crashes.errorLogs = errorLogs;
    figures.wallMs = Date.now() - started;
    return figures;
  } finally {
    watch.unsubscribe();
    await close();
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUnhandled);
  }
}

function emptyFigures(seed: number): FuzzFigures {
  return {
    seed,
    cases: Object.fromEntries([...HTTP_CATEGORIES, ...WS_CATEGORIES].map((c) => [c, 0])) as Record<Category, number>,
    total: 0,
    routes: {},
    routeStatuses: {},
    statuses: {},
    serverErrors: 0,
    unstructured: 0,
    unknownCodes: [],
    broken: 0,
    droppedGarbage: 0,
    unsupported: 0,
    crashes: { uncaught: [], unhandled: [], errorLogs: [], healthyAtEnd: false },
    sideEffects: { commandsStarted: 0, installsStarted: 0, mcpConnected: 0, writesOutsideTarget: [], filesOutside: [] },
    failures: [],
    wallMs: 0,
  };
}

function record(figures: FuzzFigures, fuzzCase: FuzzCase, verdict: Verdict): void {
  figures.cases[fuzzCase.category]++;
  figures.total++;
  const routeKey = fuzzCase.routeId.startsWith('stray ') ? 'stray paths' : fuzzCase.routeId;
  figures.routes[routeKey] = (figures.routes[routeKey] ?? 0) + 1;
  const status = verdict.status !== undefined ? String(verdict.status) : verdict.ok ? 'dropped' : 'none';
  figures.statuses[status] = (figures.statuses[status] ?? 0) + 1;
  const perRoute = (figures.routeStatuses[routeKey] ??= {});
  perRoute[status] = (perRoute[status] ?? 0) + 1;
  if (verdict.ok) {
    if (verdict.dropped) figures.droppedGarbage++;
    if (verdict.unsupported) figures.unsupported++;
    return;
  }
  if (verdict.kind === 'server_error') figures.serverErrors++;
  if (verdict.kind === 'unstructured') figures.unstructured++;
  if (verdict.kind === 'broken') figures.broken++;
  if (verdict.code && !(verdict.code in ERROR_CODES) && !figures.unknownCodes.includes(verdict.code)) figures.unknownCodes.push(verdict.code);
}

/** The figures as lines a person reads in a test log. */
export function summarizeFuzz(figures: FuzzFigures): string {
  const lines = [
    `fuzz seed ${figures.seed} (set FUZZ_SEED to replay): ${figures.total} cases in ${(figures.wallMs / 1000).toFixed(1)} s`,
    `  per category: ${Object.entries(figures.cases).map(([c, n]) => `${c} ${n}`).join(', ')}`,
    `  statuses: ${Object.entries(figures.statuses).sort().map(([s, n]) => `${s}×${n}`).join(' ')}`,
    `  5xx ${figures.serverErrors}, unstructured 4xx ${figures.unstructured}, unknown codes [${figures.unknownCodes.join(', ')}], broken ${figures.broken}, garbage dropped ${figures.droppedGarbage}, documented 501 ${figures.unsupported}`,
    `  crashes: uncaught ${figures.crashes.uncaught.length}, unhandled rejections ${figures.crashes.unhandled.length}, error logs ${figures.crashes.errorLogs.length}, healthy at end ${figures.crashes.healthyAtEnd}`,
    `  side effects: commands started ${figures.sideEffects.commandsStarted}, installs started ${figures.sideEffects.installsStarted}, MCP connected ${figures.sideEffects.mcpConnected}, writes outside target ${figures.sideEffects.writesOutsideTarget.length}, stray files ${figures.sideEffects.filesOutside.length}`,
  ];
  for (const failure of figures.failures) {
    lines.push('', `FAILED ${failure.category}: ${failure.problem}`, `${failure.shrunk ? 'shrunk counter-example' : 'first failing case (did not fail again when replayed)'}:`, failure.example);
  }
  for (const line of [...figures.crashes.uncaught, ...figures.crashes.unhandled, ...figures.crashes.errorLogs].slice(0, 5)) lines.push('', `CRASH/ERROR: ${line}`);
  return lines.join('\n');
}
