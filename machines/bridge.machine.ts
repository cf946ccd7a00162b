import { assign, fromPromise, sendTo, setup } from 'xstate';
import { publishPlaceholder } from './contract-event.js';
import { CHILD_KINDS, type ChildKind } from './child-machines.js';
import { SUPERVISOR_SHARDS, supervisorIdFor, supervisorIdOf, supervisorMachine } from './supervisor.machine.js';

export { CHILD_KINDS, childMachines, type ChildKind } from './child-machines.js';
export { SUPERVISOR_SHARDS, supervisorIdFor, supervisorIdOf } from './supervisor.machine.js';

export interface BridgeSettings {
  configuredPort: number;
  trayMode: boolean;
  defaultCommandTimeoutMs: number;
  promptTimeoutMs: number;
  bus: 'embedded' | 'nats';
}

export interface BridgeContext extends BridgeSettings {
  bridgeId: string;
  version: string;
  activePort: number | null;
  bindError: string | null;
}

export type BridgeInput = Omit<BridgeContext, 'activePort' | 'bindError'>;

export type BridgeEvent =
  | { type: 'child.spawn'; kind: ChildKind; id: string; input: unknown }
  | { type: 'child.stop'; kind: ChildKind; id: string }
  | { type: 'listener.retry' }
  | { type: 'settings.update'; settings: Partial<Pick<BridgeSettings, 'trayMode' | 'defaultCommandTimeoutMs' | 'promptTimeoutMs'>> }
  | { type: 'bridge.stop'; reason: string };

const bindStateOf = (value: unknown) => value as 'binding' | 'listening' | 'bind_failed' | 'stopping' | 'stopped';

/**
 * The root supervisor. It owns the listener's lifecycle on the one configured port (a failure
 * never changes the port and never tries another) and, through the supervisors of each kind (its
 * only other children, see supervisor.machine.ts), every other actor.
 */
export const bridgeMachine = setup({
  types: {} as { context: BridgeContext; input: BridgeInput; events: BridgeEvent },
  actors: {
    supervisor: supervisorMachine,
    /** Binds the HTTP listener to exactly `port` on loopback; rejects with the OS error. */
    bindListener: fromPromise<{ port: number }, { port: number }>(async () => {
      throw new Error('bindListener is provided by the runtime');
    }),
    /** Closes the listener, letting in-flight requests finish. */
    closeListener: fromPromise<void, void>(async () => {}),
  },
  actions: {
    publish: publishPlaceholder,
  },
}).createMachine({
  id: 'bridge',
  context: ({ input }) => ({ ...input, activePort: null, bindError: null }),
  initial: 'binding',
  // Invoked at the root, the supervisors live exactly as long as the bridge; its final state stops
  // them, and each stops its children.
  invoke: CHILD_KINDS.flatMap((kind) =>
    Array.from({ length: SUPERVISOR_SHARDS }, (_, shard) => ({ id: supervisorIdOf(kind, shard), src: 'supervisor' as const, input: { kind } })),
  ),
  on: {
    'child.spawn': {
      actions: sendTo(({ event }) => supervisorIdFor(event.kind, event.id), ({ event }) => ({ type: 'child.spawn' as const, id: event.id, input: event.input })),
    },
    'child.stop': {
      actions: sendTo(({ event }) => supervisorIdFor(event.kind, event.id), ({ event }) => ({ type: 'child.stop' as const, id: event.id })),
    },
    'settings.update': {
      actions: assign(({ event }) => ({ ...definedOnly(event.settings) })),
    },
  },
  states: {
    binding: {
      invoke: {
        src: 'bindListener',
        input: ({ context }) => ({ port: context.configuredPort }),
        onDone: {
          target: 'listening',
          actions: [
            assign({ activePort: ({ event }) => event.output.port, bindError: null }),
            {
              type: 'publish',
              params: ({ context }) => ({
                type: 'bridge.started',
                data: { bridgeId: context.bridgeId, version: context.version, port: context.activePort ?? context.configuredPort },
              }),
            },
          ],
        },
        onError: {
          target: 'bind_failed',
          actions: assign({ activePort: null, bindError: ({ event }) => describeError(event.error) }),
        },
      },
      on: { 'bridge.stop': 'stopping' },
    },
    listening: {
      on: { 'bridge.stop': 'stopping' },
    },
    bind_failed: {
      description: 'The configured port could not be bound. The port stays as configured; only an explicit retry (osloop://ensure-server) tries it again.',
      on: {
        'listener.retry': 'binding',
        'bridge.stop': 'stopping',
      },
    },
    stopping: {
      entry: {
        type: 'publish',
        params: ({ context, event }) => ({
          type: 'bridge.stopping',
          data: { bridgeId: context.bridgeId, reason: event.type === 'bridge.stop' ? event.reason : 'stop' },
        }),
      },
      invoke: { src: 'closeListener', onDone: 'stopped', onError: 'stopped' },
    },
    stopped: { type: 'final', entry: assign({ activePort: null }) },
  },
});

/**
 * Snapshot → the public runtime view (`GET /api/v1/bridge/runtime`). The runtime publishes
 * `bridge.runtime.updated` whenever this view changes, so the machine need not announce it.
 */
export function runtimeView(context: BridgeContext, stateValue: unknown) {
  return {
    configuredPort: context.configuredPort,
    activePort: context.activePort,
    bindState: bindStateOf(stateValue),
    bindError: context.bindError,
    trayMode: context.trayMode,
    defaultCommandTimeoutMs: context.defaultCommandTimeoutMs,
    promptTimeoutMs: context.promptTimeoutMs,
    bus: context.bus,
  };
}

function describeError(error: unknown): string {
  if (error && typeof error === 'object' && 'message' in error) return String((error as { message: unknown }).message);
  return String(error);
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
