import { assign, fromCallback, raise, sendTo, setup } from 'xstate';
import type { ErrorCode } from '../src/contract/errors.js';
import type { Principal } from '../src/contract/principal.js';
import type { CommandTemplate, RunState, RunSummary } from '../src/contract/routes/commands.js';
import type { JobContext } from '../src/contract/routes/jobs.js';
import type { PermissionKind, PromptDetails } from '../src/contract/routes/permissions.js';
import { publishPlaceholder } from './contract-event.js';
import { initialRunContext, jobEventOf, runSummary, type OutputTotals, type ResolvedCommand, type RunContext, type RunInput } from './commandRun.summary.js';

export type { ResolvedCommand, RunContext, RunInput } from './commandRun.summary.js';
export { jobEventOf, runStateOf, runSummary } from './commandRun.summary.js';

/** Longest delay a JavaScript timer can hold (about 24.8 days); longer timeouts are counted in slices. */
export const MAX_TIMER_MS = 2_147_483_647;

/** What the permission gate reports: the authority's verdict, then (for a prompt) the user's answer. */
export type GateEvent =
  | { type: 'permission.pending'; promptId: string; expiresAt: string }
  | { type: 'permission.allowed'; decidedBy: 'rule' | 'user'; ruleId: string | null; promptId: string | null; decisionId: string; at: string }
  | {
      type: 'permission.rejected';
      code: Extract<ErrorCode, 'bridge_policy_denied' | 'rejected_by_user' | 'permission_timeout'>;
      promptId: string | null;
      decisionId: string;
      message: string;
      at: string;
    }
  | { type: 'permission.failed'; message: string; at: string };

/** What the process reports. Output does not pass through the machine: it streams beside it. */
export type ProcessEvent =
  | { type: 'process.spawned'; pid: number; at: string }
  | { type: 'process.exited'; exitCode: number | null; signal: string | null; spawnError: string | null; output: OutputTotals; at: string };

/** What the slot queue reports: wait (over `maxConcurrentRuns`), go, or refused (the queue is full). */
export type SlotEvent =
  | { type: 'slot.waiting'; position: number }
  | { type: 'slot.granted' }
  | { type: 'slot.refused'; message: string; at: string };

export type AwakeEvent = { type: 'awake.held'; lockId: string; note: string | null } | { type: 'awake.unavailable'; note: string };

export type RunEvent =
  | GateEvent
  | ProcessEvent
  | AwakeEvent
  | SlotEvent
  | { type: 'run.terminate'; at: string }
  /** The bridge is stopping: the run ends `interrupted` and its tree is killed. */
  | { type: 'run.interrupt'; at: string }
  | { type: 'run.timeout' };

/** Input of the permission gate: the permission API's request, built from the run. */
export interface GateInput {
  subjectKind: PermissionKind;
  subjectId: string;
  template: CommandTemplate;
  shell: boolean;
  title: string;
  reason: string | null;
  requestedBy: Principal;
  whitelistAllowed: boolean;
  details: PromptDetails | null;
  /** Provenance of the request: shown in the prompt, stored with the decision, scopes rules. */
  context: JobContext | null;
}

export interface SlotInput {
  runId: string;
}

export interface ProcessInput {
  runId: string;
  resolved: ResolvedCommand;
  shell: boolean;
}

export interface AwakeInput {
  runId: string;
  reason: string;
  /** Who the lock is held for: whoever started the run. */
  holder: Principal;
}

type Exited = Extract<RunEvent, { type: 'process.exited' }>;

const exitFacts = ({ event }: { event: RunEvent }) => {
  const e = event as Exited;
  return { exitCode: e.exitCode, signal: e.signal, output: e.output, endedAt: e.at };
};

const runSetup = setup({
  types: {} as { context: RunContext; input: RunInput; events: RunEvent },
  actors: {
    /**
     * Asks the permission authority (permission-api.ts) and reports its verdict and, after a
     * prompt, the user's answer. Stopped while a prompt is open, it withdraws the prompt.
     */
    permissionGate: fromCallback<RunEvent, GateInput>(() => {}),
    /** Owns the process: reports spawn and exit, kills the whole tree on `process.kill` or when stopped. */
    process: fromCallback<{ type: 'process.kill' }, ProcessInput>(() => {}),
    /** Holds an awake lock while it lives; reports whether it got one. */
    awakeLock: fromCallback<RunEvent, AwakeInput>(() => {}),
    /**
     * Waits (FIFO) for one of the `maxConcurrentRuns` slots and holds it while it lives, that is
     * until the run ends; reports `slot.waiting`, then `slot.granted`, or `slot.refused` at once
     * when the queue is full (`maxQueuedRuns`).
     */
    slot: fromCallback<RunEvent, SlotInput>(({ sendBack }) => sendBack({ type: 'slot.granted' })),
  },
  actions: {
    publish: publishPlaceholder,
    /** Stores the run as listed (template fields only). */
    persist: (_: unknown, _run: RunSummary) => {},
  },
  guards: {
    stoppedForTimeout: ({ context }) => context.stopCause === 'timeout',
    stoppedForTerminate: ({ context }) => context.stopCause === 'terminate',
    couldNotStart: ({ event }) => (event as Exited).spawnError !== null,
    exitedZero: ({ event }) => (event as Exited).exitCode === 0,
    timeoutNotYetDue: ({ context }) => context.timeoutLeftMs > MAX_TIMER_MS,
    isCommandJob: ({ context }) => context.kind === 'command',
  },
  delays: {
    runTimeout: ({ context }) => Math.min(context.timeoutLeftMs, MAX_TIMER_MS),
  },
});

const persistAs = (state: RunState) => ({ type: 'persist' as const, params: ({ context }: { context: RunContext }) => runSummary(context, state) });

const announce = (type: 'system.command.started' | 'system.command.completed' | 'system.command.failed' | 'system.command.terminated', state: RunState) => ({
  type: 'publish' as const,
  params: ({ context }: { context: RunContext }) => ({ type, data: runSummary(context, state) }),
});

/**
 * `bridge.job.created` / `bridge.job.updated` for command jobs. An install is one job of many
 * runs (one per step): its job events come from the install, not from here.
 */
const announceJob = (type: 'bridge.job.created' | 'bridge.job.updated', state: RunState) =>
  runSetup.enqueueActions(({ context, enqueue, check }) => {
    if (check('isCommandJob')) enqueue({ type: 'publish', params: { type, data: jobEventOf(context, state) } });
  });

/** Every way a live process ends; the same in `starting`, `running` and `stopping`. */
const onExit = [
  { guard: 'stoppedForTimeout', target: '#commandRun.timed_out', actions: runSetup.assign(exitFacts) },
  { guard: 'stoppedForTerminate', target: '#commandRun.terminated', actions: runSetup.assign(exitFacts) },
  {
    guard: 'couldNotStart',
    target: '#commandRun.failed',
    actions: runSetup.assign(({ context, event }) => ({
      ...exitFacts({ event }),
      recoveryHint: 'spawn_failure' as const,
      errorMessage: `Could not start ${JSON.stringify(context.template.command)}: ${(event as Exited).spawnError}`,
    })),
  },
  { guard: 'exitedZero', target: '#commandRun.completed', actions: runSetup.assign(exitFacts) },
  {
    target: '#commandRun.failed',
    actions: runSetup.assign(({ event }) => {
      const e = event as Exited;
      return { ...exitFacts({ event }), errorMessage: e.signal ? `Killed by ${e.signal}` : `Exited with code ${e.exitCode}` };
    }),
  },
] as const;

/** The bridge stopped while the process may have been live: something may have run. */
const interrupt = {
  target: '#commandRun.interrupted',
  actions: runSetup.assign({
    endedAt: ({ event }: { event: RunEvent }) => (event as { at: string }).at,
    errorMessage: 'The bridge stopped while this run was live.',
    recoveryHint: 'bridge_restart' as const,
  }),
} as const;

/** The bridge stopped before the run had a process (deciding or queued): nothing ran. */
const interruptBeforeStart = {
  target: '#commandRun.interrupted',
  actions: runSetup.assign({
    endedAt: ({ event }: { event: RunEvent }) => (event as { at: string }).at,
    errorMessage: 'The bridge stopped before this run started; nothing ran.',
    recoveryHint: 'spawn_failure' as const,
  }),
} as const;

/** While the process lives (`starting`, `running`): its exit, a terminate, the timeout, a bridge stop. */
const whileTheProcessLives = {
  'process.exited': [...onExit],
  'run.terminate': { target: 'stopping', actions: runSetup.assign({ stopCause: 'terminate' as const }) },
  'run.timeout': [
    {
      // Timers cannot hold more than ~24.8 days: a longer timeout is waited for in slices.
      guard: 'timeoutNotYetDue',
      actions: [
        runSetup.assign({ timeoutLeftMs: ({ context }: { context: RunContext }) => context.timeoutLeftMs - MAX_TIMER_MS }),
        runSetup.raise({ type: 'run.timeout' }, { id: 'runTimeout', delay: 'runTimeout' }),
      ],
    },
    { target: 'stopping', actions: runSetup.assign({ stopCause: 'timeout' as const }) },
  ],
  'run.interrupt': interrupt,
} as const;

/**
 * One command run, from the permission decision to the end of its process tree. The run belongs
 * to the bridge, not to the session that asked: it lives on when that session goes away.
 * Resolved values stay in `context.resolved` (hidden from every transition summary); everything
 * announced or stored is built from the template.
 */
export const commandRunMachine = runSetup.createMachine({
  id: 'commandRun',
  context: ({ input }) => initialRunContext(input),
  entry: announceJob('bridge.job.created', 'awaiting_permission'),
  initial: 'awaiting_permission',
  on: {
    'awake.held': { actions: assign({ awake: ({ event }) => ({ lockId: event.lockId, note: event.note }) }) },
    'awake.unavailable': { actions: assign({ awake: ({ event }) => ({ lockId: null, note: event.note }) }) },
  },
  states: {
    awaiting_permission: {
      description: 'The permission authority decides: bridge policy, then a whitelist rule on the template, else a prompt for the user.',
      entry: persistAs('awaiting_permission'),
      invoke: {
        src: 'permissionGate',
        input: ({ context }) => ({
          subjectKind: context.kind,
          subjectId: context.runId,
          template: context.template,
          shell: context.shell,
          title: context.title,
          reason: context.reason,
          requestedBy: context.requestedBy,
          whitelistAllowed: context.whitelistAllowed,
          details: context.details,
          context: context.context,
        }),
        onError: {
          target: 'failed',
          actions: assign({ errorCode: 'internal', errorMessage: 'The permission check failed.', recoveryHint: 'spawn_failure' }),
        },
      },
      initial: 'deciding',
      states: {
        deciding: {},
        prompted: {
          description: 'A prompt waits for the user; it expires on its own timer and the run then ends rejected (permission_timeout).',
          entry: persistAs('awaiting_permission'),
        },
      },
      on: {
        'permission.pending': {
          target: '.prompted',
          actions: assign({ promptId: ({ event }) => event.promptId }),
        },
        'permission.allowed': {
          target: 'queued',
          actions: assign(({ event }) => ({ ruleId: event.ruleId, promptId: event.promptId, decisionId: event.decisionId })),
        },
        'permission.rejected': {
          target: 'rejected',
          actions: assign(({ event }) => ({
            errorCode: event.code,
            errorMessage: event.message,
            promptId: event.promptId,
            decisionId: event.decisionId,
            endedAt: event.at,
          })),
        },
        'permission.failed': {
          target: 'failed',
          actions: assign(({ event }) => ({ errorCode: 'unavailable' as const, errorMessage: event.message, endedAt: event.at, recoveryHint: 'spawn_failure' as const })),
        },
        'run.terminate': { target: 'terminated', actions: assign({ endedAt: ({ event }) => event.at }) },
        'run.interrupt': interruptBeforeStart,
      },
    },
    queued: {
      description:
        'Allowed, waiting (FIFO) for a slot under maxConcurrentRuns; the slot is held until the run ends. A full queue (maxQueuedRuns) refuses the run (rate_limited).',
      entry: runSetup.spawnChild('slot', { id: 'slot', input: ({ context }) => ({ runId: context.runId }) }),
      on: {
        'slot.waiting': { actions: [assign({ queued: true }), persistAs('queued')] },
        'slot.granted': 'starting',
        'slot.refused': {
          target: 'rejected',
          actions: assign(({ event }) => ({ errorCode: 'rate_limited' as const, errorMessage: event.message, endedAt: event.at })),
        },
        'run.terminate': { target: 'terminated', actions: assign({ endedAt: ({ event }) => event.at }) },
        'run.interrupt': interruptBeforeStart,
      },
    },
    starting: {
      entry: [
        persistAs('starting'),
        runSetup.spawnChild('process', {
          id: 'process',
          input: ({ context }) => ({ runId: context.runId, resolved: context.resolved, shell: context.shell }),
        }),
        runSetup.enqueueActions(({ context, enqueue }) => {
          if (context.keepAwake) enqueue.spawnChild('awakeLock', { id: 'awake', input: { runId: context.runId, reason: context.title, holder: context.requestedBy } });
        }),
        raise({ type: 'run.timeout' }, { id: 'runTimeout', delay: 'runTimeout' }),
      ],
      on: {
        'process.spawned': { target: 'running', actions: assign(({ event }) => ({ pid: event.pid, startedAt: event.at })) },
        ...whileTheProcessLives,
      },
    },
    running: {
      entry: [persistAs('running'), announce('system.command.started', 'running'), announceJob('bridge.job.updated', 'running')],
      on: whileTheProcessLives,
    },
    stopping: {
      description: 'The tree got SIGTERM (taskkill on Windows) and gets SIGKILL after the grace period; the run ends when the process is gone.',
      entry: sendTo('process', { type: 'process.kill' }),
      on: {
        'process.exited': [...onExit],
        'run.interrupt': interrupt,
      },
    },
    completed: { type: 'final', entry: [persistAs('completed'), announce('system.command.completed', 'completed'), announceJob('bridge.job.updated', 'completed')] },
    failed: { type: 'final', entry: [persistAs('failed'), announce('system.command.failed', 'failed'), announceJob('bridge.job.updated', 'failed')] },
    timed_out: {
      type: 'final',
      entry: [
        assign(({ context }) => ({ errorMessage: `Timed out after ${context.timeoutMs} ms; the process tree was killed.`, recoveryHint: 'timeout' as const })),
        persistAs('timed_out'),
        announce('system.command.failed', 'timed_out'),
        announceJob('bridge.job.updated', 'timed_out'),
      ],
    },
    terminated: {
      type: 'final',
      entry: [persistAs('terminated'), announce('system.command.terminated', 'terminated'), announceJob('bridge.job.updated', 'terminated')],
    },
    rejected: { type: 'final', entry: [persistAs('rejected'), announce('system.command.failed', 'rejected'), announceJob('bridge.job.updated', 'rejected')] },
    interrupted: {
      type: 'final',
      description: 'The bridge stopped while the run was live or queued; its process tree is killed as the actor stops.',
      entry: [persistAs('interrupted'), announce('system.command.failed', 'interrupted'), announceJob('bridge.job.updated', 'interrupted')],
    },
  },
});
