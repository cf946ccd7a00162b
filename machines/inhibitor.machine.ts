import { assign, fromCallback, fromPromise, setup, type EventObject } from 'xstate';
import type { EventData } from '../src/contract/events.js';
import { publishPlaceholder, type PublishParams } from './contract-event.js';

/** How a dead inhibitor is restarted. */
export interface InhibitorBackoff {
  /** Delay before the first restart; doubles with each consecutive one. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** Consecutive deaths (without `stableMs` of life in between) before giving up: `failed`. */
  maxAttempts: number;
  /** A process alive this long has worked: the next death starts the backoff again. */
  stableMs: number;
}

export interface InhibitorInput {
  /** The inhibitor in use, e.g. systemd-inhibit, caffeinate, powershell, or a configured command. */
  name: string;
  backoff: InhibitorBackoff;
}

export interface InhibitorContext extends InhibitorInput {
  /** Null until the probe answered. */
  supported: boolean | null;
  /** Why it is unsupported, or why the inhibitor last died / gave up. */
  reason: string | null;
  /** Reasons of the locks held now; the process runs while there is at least one. */
  reasons: string[];
  pid: number | null;
  /** Restarts since the bridge started, for the status page. */
  restarts: number;
  /** Consecutive deaths, reset once a process stayed up `stableMs`. */
  attempt: number;
}

export type InhibitorEvent =
  | { type: 'locks.changed'; reasons: string[] }
  | { type: 'inhibitor.started'; pid: number | null }
  | { type: 'inhibitor.exited'; detail: string };

export type InhibitorSupport = { supported: true } | { supported: false; reason: string };

/** What the process actor is started with. */
export interface InhibitorProcessInput {
  /** Shown by the OS as why sleep is inhibited: the locks' reasons. */
  why: string;
}

const hasLocks = (context: { reasons: string[] }) => context.reasons.length > 0;

type StateName = 'unsupported' | 'idle' | 'running' | 'restarting' | 'failed';

/** Publishes `awake.state_changed` as of `state` (an entry action sees the state it enters). */
const announce = (state: StateName) => ({
  type: 'publish' as const,
  params: ({ context }: { context: InhibitorContext }): PublishParams => ({ type: 'awake.state_changed', data: awakeState(context, state) }),
});

/**
 * The one process that keeps the machine awake while any awake lock is held. It probes once
 * whether the platform's inhibitor can work at all (systemd-inhibit cannot without logind),
 * runs the process while locks exist, restarts it with exponential backoff when it dies, and
 * gives up (`failed`) after too many quick deaths in a row.
 */
export const inhibitorMachine = setup({
  types: {} as { context: InhibitorContext; input: InhibitorInput; events: InhibitorEvent },
  actors: {
    /** Whether the inhibitor can work on this machine. */
    probe: fromPromise<InhibitorSupport, void>(async () => ({ supported: false, reason: 'probe is provided by the runtime' })),
    /**
     * Runs the inhibitor process: sends `inhibitor.started` once it runs and `inhibitor.exited`
     * if it ends by itself; stopping the actor kills it.
     */
    inhibitorProcess: fromCallback<EventObject, InhibitorProcessInput>(() => () => {}),
  },
  actions: {
    publish: publishPlaceholder,
    setReasons: assign({ reasons: ({ event }) => (event.type === 'locks.changed' ? event.reasons : []) }),
    recordDeath: assign(({ context, event }) => ({
      pid: null,
      attempt: context.attempt + 1,
      reason: event.type === 'inhibitor.exited' ? `the inhibitor ${context.name} exited: ${event.detail}` : context.reason,
    })),
  },
  guards: {
    hasLocks: ({ context }) => hasLocks(context),
    changedToNoLocks: ({ event }) => event.type === 'locks.changed' && event.reasons.length === 0,
    changedToSomeLocks: ({ event }) => event.type === 'locks.changed' && event.reasons.length > 0,
    givesUp: ({ context }) => context.attempt + 1 >= context.backoff.maxAttempts,
  },
  delays: {
    backoff: ({ context }) => Math.min(context.backoff.initialDelayMs * 2 ** Math.max(0, context.attempt - 1), context.backoff.maxDelayMs),
    stable: ({ context }) => context.backoff.stableMs,
  },
}).createMachine({
  id: 'inhibitor',
  context: ({ input }) => ({ ...input, supported: null, reason: null, reasons: [], pid: null, restarts: 0, attempt: 0 }),
  initial: 'probing',
  on: {
    // Whatever the state, the current reasons are remembered; the states decide what they mean.
    'locks.changed': { actions: 'setReasons' },
  },
  states: {
    probing: {
      invoke: {
        src: 'probe',
        onDone: [
          { guard: ({ event }) => event.output.supported, target: 'idle', actions: assign({ supported: true, reason: null }) },
          {
            target: 'unsupported',
            actions: assign({ supported: false, reason: ({ event }) => (event.output.supported ? null : event.output.reason) }),
          },
        ],
        onError: { target: 'unsupported', actions: assign({ supported: false, reason: ({ event }) => `the inhibitor probe failed: ${String(event.error)}` }) },
      },
    },
    unsupported: {
      description: 'No inhibitor can work here (e.g. systemd-inhibit without logind). Locks are still listed; nothing keeps the machine awake.',
      entry: announce('unsupported'),
    },
    idle: {
      entry: [assign({ attempt: 0 }), announce('idle')],
      always: { guard: 'hasLocks', target: 'running' },
      on: { 'locks.changed': { guard: 'changedToSomeLocks', target: 'running', actions: 'setReasons' } },
    },
    running: {
      entry: announce('running'),
      invoke: { src: 'inhibitorProcess', input: ({ context }) => ({ why: context.reasons.join('; ') }) },
      after: { stable: { actions: assign({ attempt: 0 }) } },
      on: {
        'inhibitor.started': { actions: [assign({ pid: ({ event }) => event.pid }), announce('running')] },
        'inhibitor.exited': [
          { guard: 'givesUp', target: 'failed', actions: 'recordDeath' },
          { target: 'restarting', actions: 'recordDeath' },
        ],
        'locks.changed': { guard: 'changedToNoLocks', target: 'idle', actions: ['setReasons', assign({ pid: null })] },
      },
    },
    restarting: {
      description: 'The inhibitor died; it is started again after an exponentially growing delay.',
      entry: announce('restarting'),
      after: { backoff: { target: 'running', actions: assign({ restarts: ({ context }) => context.restarts + 1 }) } },
      on: { 'locks.changed': { guard: 'changedToNoLocks', target: 'idle', actions: 'setReasons' } },
    },
    failed: {
      description: 'The inhibitor died too often in a row; it is tried again when the locks next go from none to some.',
      entry: announce('failed'),
      on: { 'locks.changed': { guard: 'changedToNoLocks', target: 'idle', actions: 'setReasons' } },
    },
  },
});

/** The machine's state as the contract shows it (`awake.state_changed`, `GET /awake/status`). */
export function awakeState(context: Pick<InhibitorContext, 'supported' | 'reason' | 'pid' | 'restarts' | 'name'>, stateValue: string): EventData<'awake.state_changed'> {
  const state = stateValue === 'running' ? (context.pid === null ? 'starting' : 'running') : stateValue === 'restarting' || stateValue === 'failed' ? stateValue : 'idle';
  const supported = context.supported !== false;
  const reason = context.reason ?? undefined;
  return {
    supported,
    ...(reason ? { reason } : {}),
    active: supported && state === 'running',
    inhibitor: { state, restarts: context.restarts, command: context.name, ...(context.pid !== null ? { pid: context.pid } : {}) },
  };
}
