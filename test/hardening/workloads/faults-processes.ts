import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BridgeConfigInput } from '../../../src/config/config-schema.js';
import {
  AWAKE_INHIBITOR_FIXTURE,
  describeProcesses,
  FAULT_FIXTURES,
  fdTargets,
  idleFdBaseline,
  livingChildGroups,
  livingDescendants,
  livingInGroups,
  livingWithCmdline,
  settledFdCount,
  sleep,
  startBridgeProcess,
  waitUntil,
  type BridgeProcess,
  type Reply,
} from './faults-bridge.js';
import { isAlive as isLiving } from '../../support/proc.js';

/**
 * Process faults against the real bridge (the CLI as a subprocess, so that /proc shows its own
 * descriptors and children and nothing of the test runner's): children that ignore SIGTERM, fork
 * bombs against maxConcurrentRuns, MCP servers that hang or crash, an inhibitor that keeps dying.
 * Every case returns the state it ended in, the processes it left (must be none) and the change
 * in the bridge's descriptor count once settled (must be ≤ 0).
 */
export interface FaultOutcome {
  fault: string;
  /** The documented end state, as observed. */
  endState: string;
  /** Processes of the case still alive right when the bridge's reply said they were gone. */
  aliveAtReply: number[];
  /** Processes still alive once everything settled: descendants of the bridge and the case's own. */
  leaked: number[];
  /** Bridge descriptors above the idle baseline once the count settled. */
  fdDelta: number;
  /** What the descriptors above the baseline point at, when there are some. */
  fdExtra: string[];
  /** Figures of the case (e.g. the largest number of process groups seen at once). */
  figures: Record<string, number>;
}

export interface FaultBridge {
  bridge: BridgeProcess;
  fdBaseline: number;
  close(): Promise<void>;
}

/** `maxQueuedRuns: 0`: runs over the limit are refused rather than queued, so a burst shows the bound. */
export const FAULT_LIMITS = { maxConcurrentRuns: 4, maxQueuedRuns: 0, killGraceMs: 300, inhibitorMaxAttempts: 3, mcpCallTimeoutMs: 500, mcpConnectTimeoutMs: 5_000 } as const;

const node = process.execPath;
const IGNORES_SIGTERM = path.join(FAULT_FIXTURES, 'ignores-sigterm.mjs');
const MCP_RAW = path.join(FAULT_FIXTURES, 'mcp-raw.mjs');

/** Quick limits, so that every escalation and give-up happens within a test's time. */
function faultConfig(): BridgeConfigInput {
  return {
    commandPath: 'inherited',
    killGraceMs: FAULT_LIMITS.killGraceMs,
    maxConcurrentRuns: FAULT_LIMITS.maxConcurrentRuns,
    maxQueuedRuns: FAULT_LIMITS.maxQueuedRuns,
    awake: {
      inhibitorCommand: [node, AWAKE_INHIBITOR_FIXTURE, '{pid}', '{reason}'],
      restart: { initialDelayMs: 50, maxDelayMs: 200, maxAttempts: FAULT_LIMITS.inhibitorMaxAttempts, stableMs: 60_000 },
      killGraceMs: 300,
    },
    mcp: {
      reconnect: { maxAttempts: 1, initialDelayMs: 50, maxDelayMs: 100 },
      connectTimeoutMs: FAULT_LIMITS.mcpConnectTimeoutMs,
      pingIntervalMs: 0,
      closeGraceMs: 300,
    },
  };
}

/**
 * Starts the bridge, goes once through every path the cases use (a run, an MCP session, an awake
 * lock) so that lazily opened descriptors exist, and takes the idle descriptor count as baseline.
 */
export async function startFaultBridge(): Promise<FaultBridge> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'osloop-faults-'));
  const bridge = await startBridgeProcess(home, { config: faultConfig() });
  try {
    const warm = await execute(bridge, node, ['-e', 'process.stdout.write("warm")']);
    await allow(bridge, warm.promptId);
    await waitRun(bridge, warm.runId);
    const serverId = await connectedMcp(bridge, 'warm-up', 'hang-call');
    await removeMcp(bridge, serverId);
    const lock = await ok(bridge.call('POST', '/api/v1/awake/acquire', { reason: 'warm-up' }), 201);
    await inhibitorRunning(bridge);
    await ok(bridge.call('POST', '/api/v1/awake/release', { lockId: lock.lockId }), 200);
    await waitUntil('no process left after the warm-up', () => {
      const left = livingDescendants(bridge.pid);
      if (left.length > 0) throw new Error(describeProcesses(left).join('; '));
      return true;
    });
  } catch (error) {
    await bridge.kill9();
    await rm(home, { recursive: true, force: true });
    throw error;
  }
  const fdBaseline = await idleFdBaseline(bridge.pid);
  return {
    bridge,
    fdBaseline,
    async close() {
      await bridge.stop();
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** Waits until the case's processes and every descendant of the bridge are gone, then for the descriptors to settle. */
async function settle(fb: FaultBridge, outcome: Omit<FaultOutcome, 'leaked' | 'fdDelta' | 'fdExtra'>, own: () => number[]): Promise<FaultOutcome> {
  const { bridge } = fb;
  const leftovers = () => [...new Set([...livingDescendants(bridge.pid), ...own()])];
  const deadline = Date.now() + 10_000;
  while (leftovers().length > 0 && Date.now() < deadline) await sleep(50);
  const fds = await settledFdCount(bridge.pid, fb.fdBaseline);
  const extra = fds > fb.fdBaseline ? fdTargets(bridge.pid) : [];
  return { ...outcome, leaked: leftovers(), fdDelta: fds - fb.fdBaseline, fdExtra: extra };
}

// ---- command runs -----------------------------------------------------------------------

/** (a) A child that ignores SIGTERM, with a grandchild that does too, terminated. */
export async function sigtermIgnoringRun(fb: FaultBridge): Promise<FaultOutcome> {
  const { bridge } = fb;
  const run = await execute(bridge, node, [IGNORES_SIGTERM]);
  await allow(bridge, run.promptId);
  const pids = await waitUntil('the child and its grandchild', async () => {
    const details = await bridge.call<{ stdout: { data: string } }>('GET', `/api/v1/system/commands/runs/${run.runId}`);
    const match = /pids (\d+) (\d+)/.exec(details.body.stdout?.data ?? '');
    return match ? [Number(match[1]), Number(match[2])] : undefined;
  });
  const terminated = await ok(bridge.call('POST', `/api/v1/system/commands/runs/${run.runId}/terminate`), 200);
  const aliveAtReply = [...new Set([...livingInGroups([pids[0]!]), ...pids.filter(isLiving)])];
  const details = await ok(bridge.call('GET', `/api/v1/system/commands/runs/${run.runId}`), 200);
  return settle(
    fb,
    { fault: 'child and grandchild ignore SIGTERM, run terminated', endState: `${terminated.state} (signal ${details.signal})`, aliveAtReply, figures: {} },
    () => [...new Set([...livingInGroups([pids[0]!]), ...pids.filter(isLiving)])],
  );
}

const bomb = (children: number, tail: string) => `i=0; while [ $i -lt ${children} ]; do sleep 60${tail} & i=$((i+1)); done; echo forked`;

/** (b) A fork bomb (a shell starting `children` sleeps), ended by terminate or by its timeout. */
export async function forkBomb(fb: FaultBridge, children: number, end: 'terminate' | 'timeout'): Promise<FaultOutcome> {
  const { bridge } = fb;
  const run = await execute(bridge, 'sh', ['-c', `${bomb(children, '')}; wait`], end === 'timeout' ? { timeoutMs: 3_000 } : {});
  await allow(bridge, run.promptId);
  const pgid = await waitUntil('the run to start', async () => (await runDetails(bridge, run.runId)).pid ?? undefined);
  let peak = 0;
  let state: string;
  if (end === 'terminate') {
    await waitUntil(`${children} children`, () => {
      peak = Math.max(peak, livingInGroups([pgid]).length);
      return peak > children ? true : undefined;
    }, 30_000);
    state = (await ok(bridge.call('POST', `/api/v1/system/commands/runs/${run.runId}/terminate`), 200)).state as string;
  } else {
    // However far the bomb got when its time was up (a loaded machine forks slowly).
    const ended = waitRun(bridge, run.runId);
    let done = false;
    void ended.finally(() => (done = true));
    while (!done) {
      peak = Math.max(peak, livingInGroups([pgid]).length);
      await sleep(10);
    }
    state = (await ended).state as string;
  }
  const aliveAtReply = livingInGroups([pgid]);
  const details = await runDetails(bridge, run.runId);
  return settle(
    fb,
    { fault: `fork bomb of ${children} processes, ${end === 'terminate' ? 'terminated' : 'timed out'}`, endState: `${state} (signal ${details.signal})`, aliveAtReply, figures: { peakProcesses: peak } },
    () => livingInGroups([pgid]),
  );
}

/**
 * (b) Many concurrent fork bombs against maxConcurrentRuns, through a whitelist rule so that
 * they start at once: a wave whose shells wait for their children (the excess gets 429), then
 * waves whose shells exit at once, leaving their children behind with their output elsewhere.
 * /proc is sampled all along for the number of process groups the bridge's runs have.
 */
export async function concurrentForkBombs(fb: FaultBridge, requests: number, waves: number): Promise<FaultOutcome> {
  const { bridge } = fb;
  const limit = FAULT_LIMITS.maxConcurrentRuns;
  let peakGroups = 0;
  let sampling = true;
  const groups = new Set<number>();
  const sampler = (async () => {
    while (sampling) {
      const live = livingChildGroups(bridge.pid, groups);
      for (const pgid of live) groups.add(pgid);
      peakGroups = Math.max(peakGroups, live.length);
      await sleep(5);
    }
  })();
  const rules: string[] = [];
  let accepted = 0;
  let limited = 0;
  const other: string[] = [];
  try {
    // A rule per script: created by the first run's allow_and_whitelist, then every request starts at once.
    const ruleFor = async (script: string) => {
      const first = await execute(bridge, 'sh', ['-c', script]);
      const resolved = await ok(bridge.call('POST', `/api/v1/system/permissions/prompts/${first.promptId}/resolve`, { decision: 'allow_and_whitelist' }), 200);
      rules.push(resolved.ruleId as string);
      await bridge.call('POST', `/api/v1/system/commands/runs/${first.runId}/terminate`);
    };
    const held = `${bomb(10, '')}; wait`;
    const escaping = bomb(10, ' >/dev/null 2>&1');
    await ruleFor(held);
    await ruleFor(escaping);

    const burst = async (script: string) => {
      const replies = await Promise.all(Array.from({ length: requests }, () => bridge.call('POST', '/api/v1/system/commands/execute', executeBody('sh', ['-c', script]), ASYNC)));
      const runIds: string[] = [];
      for (const reply of replies) {
        if (reply.status === 202) {
          accepted++;
          runIds.push(reply.body.runId as string);
        } else if (reply.status === 429 && (reply.body.error as { code?: string } | undefined)?.code === 'rate_limited') {
          limited++;
        } else other.push(`${reply.status} ${JSON.stringify(reply.body).slice(0, 200)}`);
      }
      for (const runId of runIds) {
        const pid = (await runDetails(bridge, runId)).pid;
        if (pid) groups.add(pid);
      }
      return runIds;
    };

    const heldRuns = await burst(held);
    await Promise.all(heldRuns.map((runId) => bridge.call('POST', `/api/v1/system/commands/runs/${runId}/terminate`)));
    for (let wave = 0; wave < waves; wave++) {
      const runIds = await burst(escaping);
      await Promise.all(runIds.map((runId) => waitRun(bridge, runId)));
    }
  } finally {
    sampling = false;
    await sampler;
    for (const ruleId of rules) await bridge.call('DELETE', `/api/v1/system/permissions/commands/${ruleId}`);
  }
  const aliveAtReply = livingInGroups([...groups]);
  return settle(
    fb,
    {
      fault: `${requests} concurrent fork-bomb requests × ${waves + 1} waves, maxConcurrentRuns ${limit}`,
      endState: `${accepted} accepted, ${limited} refused 429 rate_limited${other.length ? `, other: ${other.join('; ')}` : ''}; at most ${peakGroups} run process groups at once`,
      aliveAtReply,
      figures: { accepted, limited, other: other.length, peakGroups, requests: requests * (waves + 1) },
    },
    () => livingInGroups([...groups]),
  );
}

// ---- MCP servers -------------------------------------------------------------------------

type McpMode = 'hang-call' | 'hang-initialize' | 'crash-call';
/** Each server is started with a tag naming this bridge, so that nothing else's processes count. */
const mcpTag = (bridge: BridgeProcess) => `faults-bridge-${bridge.pid}`;
const fixtureProcesses = (bridge: BridgeProcess, mode: McpMode) => livingWithCmdline(`mcp-raw.mjs\0${mode}\0${mcpTag(bridge)}`);

/** (c) A server that answers the handshake but never a tool call. */
export async function mcpHangingCall(fb: FaultBridge): Promise<FaultOutcome> {
  const { bridge } = fb;
  const serverId = await connectedMcp(bridge, 'hangs-on-call', 'hang-call');
  const call = await bridge.call('POST', '/api/v1/mcp/call', { serverId, tool: 'work', arguments: {}, timeoutMs: FAULT_LIMITS.mcpCallTimeoutMs });
  const state = (await mcpView(bridge, serverId)).state;
  await ok(bridge.call('POST', `/api/v1/mcp/servers/${serverId}/disconnect`), 200);
  const aliveAtReply = fixtureProcesses(bridge, 'hang-call');
  await removeMcp(bridge, serverId);
  return settle(fb, { fault: 'MCP server never answers a tool call', endState: `call ${call.status} ${errorCode(call)}; server stays ${state}; disconnect → disconnected`, aliveAtReply, figures: {} }, () =>
    fixtureProcesses(bridge, 'hang-call'),
  );
}

/** (c) A server that never answers `initialize`: each attempt times out; also disconnected while connecting. */
export async function mcpHangingInitialize(fb: FaultBridge): Promise<FaultOutcome> {
  const { bridge } = fb;
  const serverId = await registerMcp(bridge, 'hangs-on-initialize', 'hang-initialize');
  await connectAllowed(bridge, serverId);
  const failed = await waitUntil('the server to be failed', async () => {
    const view = await mcpView(bridge, serverId);
    return view.state === 'failed' ? view : undefined;
  }, 30_000);
  const leftAfterFailed = fixtureProcesses(bridge, 'hang-initialize');
  // Connected again, then disconnected while still waiting for `initialize`.
  await connectAllowed(bridge, serverId);
  await waitUntil('a connecting server process', async () => ((await mcpView(bridge, serverId)).state === 'connecting' && fixtureProcesses(bridge, 'hang-initialize').length > 0 ? true : undefined));
  await ok(bridge.call('POST', `/api/v1/mcp/servers/${serverId}/disconnect`), 200);
  const aliveAtReply = [...leftAfterFailed, ...fixtureProcesses(bridge, 'hang-initialize')];
  const after = (await mcpView(bridge, serverId)).state;
  await removeMcp(bridge, serverId);
  return settle(
    fb,
    {
      fault: 'MCP server never answers initialize',
      endState: `${failed.state} after ${FAULT_LIMITS.mcpConnectTimeoutMs} ms × (1 + 1 restart) (lastErrorCode ${failed.lastErrorCode}); disconnect while connecting → ${after}`,
      aliveAtReply,
      figures: {},
    },
    () => fixtureProcesses(bridge, 'hang-initialize'),
  );
}

/** (c) A server that exits in the middle of a tool call. */
export async function mcpCrashMidCall(fb: FaultBridge): Promise<FaultOutcome> {
  const { bridge } = fb;
  const serverId = await connectedMcp(bridge, 'crashes-mid-call', 'crash-call');
  const before = (await mcpView(bridge, serverId)).pid as number;
  const call = await bridge.call('POST', '/api/v1/mcp/call', { serverId, tool: 'work', arguments: {}, timeoutMs: 20_000 });
  // It is restarted without a new prompt, as a new process.
  const back = await waitUntil('the server to be connected again', async () => {
    const view = await mcpView(bridge, serverId);
    return view.state === 'connected' && view.pid !== before ? view : view.state === 'failed' ? view : undefined;
  }, 30_000);
  await ok(bridge.call('POST', `/api/v1/mcp/servers/${serverId}/disconnect`), 200);
  const aliveAtReply = fixtureProcesses(bridge, 'crash-call');
  await removeMcp(bridge, serverId);
  return settle(
    fb,
    { fault: 'MCP server crashes in the middle of a call', endState: `call ${call.status} ${errorCode(call)}; server reconnecting → ${back.state} (new process); disconnect → disconnected`, aliveAtReply, figures: {} },
    () => fixtureProcesses(bridge, 'crash-call'),
  );
}

// ---- awake inhibitor ---------------------------------------------------------------------

/** (d) The inhibitor is SIGKILLed each time it runs, until the bridge gives up; then the lock is released. */
export async function dyingInhibitor(fb: FaultBridge): Promise<FaultOutcome> {
  const { bridge } = fb;
  const inhibitors = () => livingWithCmdline(`awake-inhibitor.mjs\0${bridge.pid}`);
  const lock = await ok(bridge.call('POST', '/api/v1/awake/acquire', { reason: 'faults: dying inhibitor' }), 201);
  let kills = 0;
  let previous: number | undefined;
  type Status = { active: boolean; reason?: string; inhibitor: { state: string; pid?: number; restarts: number } };
  let status: Status;
  for (;;) {
    status = await waitUntil('the inhibitor to run again or give up', async () => {
      const current = (await ok(bridge.call('GET', '/api/v1/awake/status'), 200)) as unknown as Status;
      const { state, pid } = current.inhibitor;
      return state === 'failed' || (state === 'running' && pid !== undefined && pid !== previous) ? current : undefined;
    });
    if (status.inhibitor.state === 'failed') break;
    previous = status.inhibitor.pid!;
    process.kill(previous, 'SIGKILL');
    kills++;
  }
  const leftWhileFailed = inhibitors();
  const failedState = `${status.inhibitor.state} after ${kills} deaths (restarts ${status.inhibitor.restarts}, active ${status.active})`;
  await ok(bridge.call('POST', '/api/v1/awake/release', { lockId: lock.lockId }), 200);
  const released = (await ok(bridge.call('GET', '/api/v1/awake/status'), 200)) as unknown as Status;

  // The next lock starts a fresh inhibitor; releasing it ends that process.
  const again = await ok(bridge.call('POST', '/api/v1/awake/acquire', { reason: 'faults: after failed' }), 201);
  const fresh = await inhibitorRunning(bridge);
  await ok(bridge.call('POST', '/api/v1/awake/release', { lockId: again.lockId }), 200);
  await waitUntil('the fresh inhibitor to end', () => (isLiving(fresh) ? undefined : true), 10_000);
  return settle(
    fb,
    { fault: 'inhibitor killed each time it runs', endState: `${failedState}; release → ${released.inhibitor.state}; next lock → running again`, aliveAtReply: leftWhileFailed, figures: { kills } },
    inhibitors,
  );
}

// ---- helpers -----------------------------------------------------------------------------

async function ok(reply: Promise<Reply>, status: number): Promise<Record<string, unknown>> {
  const r = await reply;
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

function errorCode(reply: Reply): string {
  return (reply.body.error as { code?: string } | undefined)?.code ?? 'ok';
}

/** Executes answer at once: the workload answers the prompts itself. */
const ASYNC = { prefer: 'respond-async' };

function executeBody(command: string, args: string[], extra: Record<string, unknown> = {}) {
  return { command, args, title: `faults: ${command}`, reason: 'fault workload', ...extra };
}

async function execute(bridge: BridgeProcess, command: string, args: string[], extra: Record<string, unknown> = {}): Promise<{ runId: string; promptId: string }> {
  const body = await ok(bridge.call('POST', '/api/v1/system/commands/execute', executeBody(command, args, extra), ASYNC), 202);
  return { runId: body.runId as string, promptId: body.promptId as string };
}

async function allow(bridge: BridgeProcess, promptId: string): Promise<void> {
  await ok(bridge.call('POST', `/api/v1/system/permissions/prompts/${promptId}/resolve`, { decision: 'allow_once' }), 200);
}

async function runDetails(bridge: BridgeProcess, runId: string): Promise<{ state: string; pid: number | null; signal: string | null }> {
  return (await ok(bridge.call('GET', `/api/v1/system/commands/runs/${runId}`), 200)) as unknown as { state: string; pid: number | null; signal: string | null };
}

async function waitRun(bridge: BridgeProcess, runId: string): Promise<Record<string, unknown>> {
  return waitUntil(`run ${runId} to end`, async () => {
    const run = await ok(bridge.call('GET', `/api/v1/system/commands/runs/${runId}?waitMs=10000`), 200);
    return ['completed', 'failed', 'terminated', 'timed_out', 'rejected', 'interrupted'].includes(run.state as string) ? run : undefined;
  }, 60_000);
}

async function registerMcp(bridge: BridgeProcess, name: string, mode: McpMode): Promise<string> {
  const args = [MCP_RAW, mode, mcpTag(bridge)];
  const body = await ok(bridge.call('POST', '/api/v1/mcp/servers', { name, transport: { type: 'stdio', command: node, args, template: { command: node, args } } }), 201);
  return body.serverId as string;
}

async function connectAllowed(bridge: BridgeProcess, serverId: string): Promise<void> {
  const reply = await ok(bridge.call('POST', `/api/v1/mcp/servers/${serverId}/connect`), 202);
  if (reply.promptId) await allow(bridge, reply.promptId as string);
}

async function mcpView(bridge: BridgeProcess, serverId: string): Promise<{ state: string; pid: number | null; lastError: string | null; lastErrorCode: string | null }> {
  const list = (await ok(bridge.call('GET', '/api/v1/mcp/servers'), 200)) as { servers?: Array<{ serverId: string; state: string; pid: number | null; lastError: string | null; lastErrorCode: string | null }> };
  const view = list.servers?.find((s) => s.serverId === serverId);
  if (!view) throw new Error(`no server ${serverId}`);
  return view;
}

async function connectedMcp(bridge: BridgeProcess, name: string, mode: McpMode): Promise<string> {
  const serverId = await registerMcp(bridge, name, mode);
  await connectAllowed(bridge, serverId);
  await waitUntil(`${name} to be connected`, async () => ((await mcpView(bridge, serverId)).state === 'connected' ? true : undefined));
  return serverId;
}

async function removeMcp(bridge: BridgeProcess, serverId: string): Promise<void> {
  await ok(bridge.call('DELETE', `/api/v1/mcp/servers/${serverId}`), 200);
}

async function inhibitorRunning(bridge: BridgeProcess): Promise<number> {
  return waitUntil('the inhibitor to run', async () => {
    const status = (await ok(bridge.call('GET', '/api/v1/awake/status'), 200)) as { inhibitor: { state: string; pid?: number } };
    return status.inhibitor.state === 'running' && status.inhibitor.pid !== undefined ? status.inhibitor.pid : undefined;
  });
}
