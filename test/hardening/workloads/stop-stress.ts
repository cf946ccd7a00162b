import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCompiled } from '../../support/compiled-bin.js';
import { freePort } from '../../support/free-port.js';
import { isAlive } from '../../support/proc.js';
import { AWAKE_INHIBITOR_FIXTURE, BIN, livingChildGroups } from './faults-bridge.js';
import { seededRandom } from './probes.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const STOPPING_PARENT = path.join(ROOT, 'test/fixtures/stopping-parent.mjs');

/** The deadline the bridges under test get for an orderly stop (`OSLOOP_STOP_DEADLINE_MS`). */
export const STOP_DEADLINE_MS = 3_000;
/**
 * How long after the first signal a process may still exist before the cycle counts as hung:
 * the deadline plus room for a loaded 2-core machine to schedule the exit. A hung bridge (the
 * bug this workload exists for) stays alive for ever, so the margin only decides how soon that
 * is reported, never whether.
 */
export const HUNG_AFTER_MS = STOP_DEADLINE_MS + 12_000;

/** How long a process group killed as the bridge exits may take to be gone. */
const SURVIVOR_GRACE_MS = 3_000;

export const STOP_STRESS_CYCLES = { ci: 16, full: 200 } as const;

/** Where the bridge's stdout and stderr go, and what the reader does. */
export type OutputMode =
  | 'read' // a parent that reads everything
  | 'never-read' // a reader that holds the pipe open, already full, and never reads
  | 'closed-early' // a reader that goes away right after the bridge started
  | 'parent-exits'; // a parent that signals the bridge's group and exits at once (socket pair)
/** When the stop comes. */
export type StopMoment = 'starting' | 'serving' | 'live-children';

export interface StopCycle {
  cycle: number;
  output: OutputMode;
  moment: StopMoment;
  signals: 1 | 2;
  /** How the bridge ended, or 'hung' when it outlived HUNG_AFTER_MS. */
  ended: string;
  /** From the first signal to the process being gone. */
  exitMs: number;
  /** Process groups the bridge started that were still alive after it ended (pgid and command). */
  leftGroups: string[];
  /** Zombie children the bridge left unreaped while it lived (seen twice, a sampling apart). */
  unreaped: number[];
}

export interface StopStressFigures {
  seed: number;
  cycles: StopCycle[];
  hung: StopCycle[];
  leaked: StopCycle[];
}

const OUTPUTS: OutputMode[] = ['read', 'never-read', 'closed-early', 'parent-exits'];
const MOMENTS: StopMoment[] = ['starting', 'serving', 'live-children'];

/**
 * Starts and stops real bridges (the compiled CLI, as users run it) over and over on one home,
 * each time with a seeded random output mode, stop moment and signal count, and measures how
 * each one ended. A home shared across cycles holds what the previous, possibly hard, stop left
 * (live runs, awake locks) — the situation of the report in issue 16.
 */
export async function runStopStress(options: { cycles: number; seed?: number }): Promise<StopStressFigures> {
  await ensureCompiled();
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const home = await mkdtemp(path.join(os.tmpdir(), 'osloop-stop-stress-'));
  const config = {
    commandPath: 'inherited',
    awake: { inhibitorCommand: [process.execPath, AWAKE_INHIBITOR_FIXTURE, '{pid}', '{reason}'] },
    killGraceMs: 1_000,
  };
  await writeFile(path.join(home, 'config.json'), JSON.stringify(config));

  const cycles: StopCycle[] = [];
  for (let cycle = 0; cycle < options.cycles; cycle++) {
    const output = pick(OUTPUTS);
    const moment = pick(MOMENTS);
    const signals = random() < 0.4 ? 2 : 1;
    const delays = { startup: Math.floor(random() * 1_500), serving: Math.floor(random() * 300), second: Math.floor(random() * 400) };
    cycles.push(await runCycle({ cycle, home, output, moment, signals, delays }));
  }
  return {
    seed,
    cycles,
    hung: cycles.filter((c) => c.ended === 'hung'),
    leaked: cycles.filter((c) => c.leftGroups.length > 0 || c.unreaped.length > 0),
  };
}

interface CycleSpec {
  cycle: number;
  home: string;
  output: OutputMode;
  moment: StopMoment;
  signals: 1 | 2;
  delays: { startup: number; serving: number; second: number };
}

async function runCycle(spec: CycleSpec): Promise<StopCycle> {
  const port = await freePort();
  const env = { ...process.env, OSLOOP_BRIDGE_HOME: spec.home, OSLOOP_LOG_LEVEL: 'debug', OSLOOP_STOP_DEADLINE_MS: String(STOP_DEADLINE_MS) };
  const tokenFile = path.join(spec.home, 'ui-token');
  const previousToken = existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8') : '';
  const launched = spec.output === 'parent-exits' ? await launchUnderParent(port, env) : launchOnFifo(spec, port, env);
  const { pid } = launched;

  const knownGroups = new Set<number>();
  const zombieSightings = new Map<number, number>();
  const sample = () => {
    for (const group of livingChildGroups(pid)) knownGroups.add(group);
    for (const zombie of zombieChildren(pid)) zombieSightings.set(zombie, (zombieSightings.get(zombie) ?? 0) + 1);
  };
  const sampler = setInterval(sample, 250);

  try {
    if (spec.moment === 'starting') {
      await sleep(spec.delays.startup);
    } else {
      // Serving: a new UI token is written once the bridge serves (it is new at every start).
      const token = await until(() => {
        const now = existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : '';
        return now && now !== previousToken.trim() ? now : undefined;
      }, 60_000, () => isAlive(pid));
      if (token && spec.moment === 'live-children') await startLiveChildren(port, token);
      await sleep(spec.delays.serving);
    }
    sample();
    const signalledAt = Date.now();
    launched.signal();
    if (spec.signals === 2) {
      await sleep(spec.delays.second);
      if (isAlive(pid)) launched.signal();
    }
    const gone = await until(() => (isAlive(pid) ? undefined : true), HUNG_AFTER_MS, () => true);
    const exitMs = Date.now() - signalledAt;
    const ended = gone ? await launched.ended() : 'hung';
    if (!gone) process.kill(pid, 'SIGKILL');
    // What it started and did not take along: alive after it ended, in a group it led. A group
    // SIGKILLed as the bridge exits takes a moment to die, so only what outlives that counts.
    const survivors = () => livingChildGroups(pid, knownGroups);
    await until(() => (survivors().length === 0 ? true : undefined), SURVIVOR_GRACE_MS, () => true);
    const leftGroups = gone ? survivors().map((group) => describeGroup(group)) : [];
    for (const group of survivors()) killGroup(group);
    return {
      cycle: spec.cycle,
      output: spec.output,
      moment: spec.moment,
      signals: spec.signals,
      ended,
      exitMs,
      leftGroups,
      unreaped: [...zombieSightings].filter(([, seen]) => seen >= 2).map(([zombie]) => zombie),
    };
  } finally {
    clearInterval(sampler);
    launched.cleanup();
  }
}

interface Launched {
  pid: number;
  /** Sends SIGTERM the way this cycle's parent does. */
  signal(): void;
  /** How the process ended: `code N` or `signal S`. */
  ended(): Promise<string>;
  cleanup(): void;
}

/**
 * The test is the parent; stdout and stderr are one FIFO whose reader reads, never reads (the
 * pipe is already full when the bridge starts), or closes right after the start.
 */
function launchOnFifo(spec: CycleSpec, port: number, env: NodeJS.ProcessEnv): Launched {
  const fifo = path.join(spec.home, `out-${spec.cycle}.fifo`);
  execFileSync('mkfifo', [fifo]);
  let reader: number | undefined = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const out = openSync(fifo, constants.O_WRONLY);
  let pump: NodeJS.Timeout | undefined;
  if (spec.output === 'never-read') {
    const filler = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    try {
      for (;;) writeSync(filler, Buffer.alloc(4096, 0x2e));
    } catch {
      // EAGAIN: the pipe is full.
    }
    closeSync(filler);
  } else if (spec.output === 'read') {
    const buffer = Buffer.alloc(65_536);
    pump = setInterval(() => {
      try {
        while (reader !== undefined && readSync(reader, buffer, 0, buffer.length, null) > 0);
      } catch {
        // EAGAIN: nothing to read now.
      }
    }, 20);
  }
  const child: ChildProcess = spawn(process.execPath, [BIN, 'start', '--port', String(port)], { env, stdio: ['ignore', out, out], detached: true });
  closeSync(out);
  if (spec.output === 'closed-early') {
    closeSync(reader);
    reader = undefined;
  }
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(code !== null ? `code ${code}` : `signal ${signal}`)));
  return {
    pid: child.pid!,
    signal: () => child.kill('SIGTERM'),
    ended: () => exited,
    cleanup() {
      clearInterval(pump);
      if (reader !== undefined) closeSync(reader);
      child.unref();
    },
  };
}

/**
 * A parent process between the test and the bridge, as in the report: it starts the bridge with
 * stdout and stderr piped (a socket pair), reads them, and on "stop" sends SIGTERM to the
 * bridge's process group and exits at once, leaving the pipes without a reader.
 */
async function launchUnderParent(port: number, env: NodeJS.ProcessEnv): Promise<Launched> {
  const parent = spawn(process.execPath, [STOPPING_PARENT, BIN, String(port)], { env, stdio: ['pipe', 'pipe', 'inherit'] });
  let line = '';
  const pid = new Promise<number>((resolve) => {
    parent.stdout!.on('data', (chunk: Buffer) => {
      line += String(chunk);
      const match = /^pid (\d+)\n/.exec(line);
      if (match) resolve(Number(match[1]));
    });
  });
  parent.stdin!.on('error', () => {});
  const bridgePid = await pid;
  let signalled = false;
  return {
    pid: bridgePid,
    // The first stop goes through the parent (which then exits); a second one comes from elsewhere.
    signal: () => {
      if (!signalled) parent.stdin!.write('stop\n');
      else killGroup(bridgePid, 'SIGTERM');
      signalled = true;
    },
    // The bridge is not our child: /proc tells that it ended, not how.
    ended: async () => 'gone (not our child)',
    cleanup: () => parent.kill('SIGKILL'),
  };
}

/**
 * Gives the bridge live children at the stop: an awake lock (a live inhibitor process,
 * systemd-inhibit's stand-in, in its own group) and a command run allowed from the local UI.
 * Failures are not the subject here (the bridge may be stopping already): they are ignored.
 */
async function startLiveChildren(port: number, token: string): Promise<void> {
  await post(port, token, '/api/v1/awake/acquire', { reason: 'stop stress' }).catch(() => undefined);
  const started = await post(port, token, '/api/v1/system/commands/execute', { command: 'sleep', args: ['30'], reason: 'stop stress: a run live at the stop' }, { prefer: 'respond-async' }).catch(() => undefined);
  const promptId = typeof started?.promptId === 'string' ? started.promptId : undefined;
  if (promptId) await post(port, token, `/api/v1/system/permissions/prompts/${promptId}/resolve`, { decision: 'allow_once' }).catch(() => undefined);
}

function post(port: number, uiToken: string, route: string, body: unknown, extra: { prefer?: string } = {}): Promise<Record<string, unknown>> {
  const payload = JSON.stringify(body);
  const headers: Record<string, string> = { host: `127.0.0.1:${port}`, 'x-osloop-ui-token': uiToken, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) };
  if (extra.prefer) headers.prefer = extra.prefer;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: route, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>);
        } catch (error) {
          reject(error as Error);
        }
      });
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`POST ${route} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

function zombieChildren(pid: number): number[] {
  const out: number[] = [];
  let children: string;
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8');
  } catch {
    return out;
  }
  for (const child of children.split(' ').filter(Boolean).map(Number)) {
    try {
      const stat = readFileSync(`/proc/${child}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') out.push(child);
    } catch {
      // reaped meanwhile
    }
  }
  return out;
}

function describeGroup(pgid: number): string {
  try {
    return `${pgid} ${readFileSync(`/proc/${pgid}/cmdline`, 'utf8').split('\0').join(' ').trim()}`;
  } catch {
    return `${pgid} (leader gone)`;
  }
}

function killGroup(pgid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // gone
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `read` every 50 ms until it gives a value, `keepGoing` says stop, or `timeoutMs` passes. */
async function until<T>(read: () => T | undefined, timeoutMs: number, keepGoing: () => boolean): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() >= deadline || !keepGoing()) return undefined;
    await sleep(50);
  }
}

