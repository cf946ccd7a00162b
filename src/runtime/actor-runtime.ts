import { createActor, fromPromise, type Actor, type AnyActorRef, type InspectionEvent, type Snapshot } from 'xstate';
import type { Bus } from '../bus/bus.js';
import type { Subjects } from '../bus/subjects.js';
import type { PublishParams } from '../../machines/contract-event.js';
import { bridgeMachine, childMachines, runtimeView, supervisorIdFor, type BridgeInput, type ChildKind } from '../../machines/bridge.machine.js';
import { supervisorMachine } from '../../machines/supervisor.machine.js';
import { cancelDelayedEventsBySource } from './delayed-events-by-source.js';
import { redactContext } from './redact.js';

export type ChildImplementations = {
  [K in ChildKind]?: Parameters<(typeof childMachines)[K]['provide']>[0];
};

export interface ActorRuntimeOptions {
  bus: Bus;
  subjects: Subjects;
  input: BridgeInput;
  /** Binds the HTTP listener to exactly this port. */
  bindListener: (port: number) => Promise<{ port: number }>;
  closeListener: () => Promise<void>;
  /** Effects of each child kind (actors, actions), merged over the machine's placeholders. */
  children?: ChildImplementations;
}

/** What the bus carries for every actor transition (`osloop.<id>.actor.<kind>.<actorId>`). */
export interface ActorTransition {
  kind: string;
  actorId: string;
  parentId: string | null;
  state: unknown;
  status: string;
  event: string;
  context: Record<string, unknown>;
  at: number;
}

export type BridgeActor = Actor<typeof bridgeMachine>;

/**
 * Starts the root bridge actor with every machine's effects provided, and publishes each
 * transition of every actor in its tree on the bus. It is the only place where machines meet I/O.
 */
export function startActorRuntime(options: ActorRuntimeOptions) {
  const { bus, subjects } = options;

  const publish = (_: unknown, params: PublishParams) => bus.publish(subjects.event(params.type), params.data);

  const children = Object.fromEntries(
    (Object.keys(childMachines) as ChildKind[]).map((kind) => {
      const machine = childMachines[kind];
      const own = options.children?.[kind] ?? {};
      const provided = machine.provide({ ...own, actions: { ...(own.actions ?? {}), publish } } as never);
      return [kind, provided];
    }),
  );

  const machine = bridgeMachine.provide({
    actors: {
      supervisor: supervisorMachine.provide({ actors: children as typeof childMachines }),
      bindListener: fromPromiseLike(({ input }) => options.bindListener(input.port)),
      closeListener: fromPromiseLike(() => options.closeListener()),
    },
    actions: { publish },
  });

  /**
   * Every supervised child not yet ended, by id (one look-up, not one per supervisor of each kind), kept from
   * the snapshots inspected below: an entry comes with a child's first snapshot and goes with its
   * last active one; a newer actor under the same id keeps its entry when the older one ends.
   */
  const live = new Map<string, AnyActorRef>();
  let lastRuntime = '';
  const root: BridgeActor = createActor(machine, {
    input: options.input,
    id: 'bridge',
    inspect: (event: InspectionEvent) => {
      if (event.type !== '@xstate.snapshot') return;
      const ref = event.actorRef as AnyActorRef;
      const kind = machineKindOf(ref);
      if (kind === null || kind === SUPERVISOR_KIND) return;
      if (isSupervised(ref)) {
        if (event.snapshot.status === 'active') live.set(ref.id, ref);
        else if (live.get(ref.id) === ref) live.delete(ref.id);
      }
      const subject = subjects.actor(kind, ref.id);
      // Describing a transition (its context redacted) is most of this hook's cost, and nobody
      // listens unless an inspector page or a test subscribed: skip it then (a subscriber that
      // comes later sees every transition from then on; its snapshot comes from list()).
      if (bus.hasSubscribers(subject)) bus.publish(subject, describeTransition(ref, kind, event.snapshot, event.event.type));
      if (ref === root) {
        const state = (event.snapshot as { value?: unknown }).value ?? null;
        const view = JSON.stringify(runtimeView(root.getSnapshot().context, state));
        if (view !== lastRuntime) {
          lastRuntime = view;
          bus.publish(subjects.event('bridge.runtime.updated'), JSON.parse(view));
        }
      }
    },
  });
  cancelDelayedEventsBySource(root.system.scheduler);
  root.start();
  // The supervisors, by id: invoked at the root's start, they are the same actors for its lifetime.
  const supervisors = new Map(Object.entries(root.getSnapshot().children as Record<string, AnyActorRef>));
  /** The supervisor of the `kind` child `id`, unless the bridge has stopped (and its supervisors with it). */
  const activeSupervisorOf = (kind: ChildKind, id: string): AnyActorRef | undefined => {
    const supervisor = supervisors.get(supervisorIdFor(kind, id))!;
    return supervisor.getSnapshot().status === 'active' ? supervisor : undefined;
  };

  return {
    root,
    /** The live child actor with this id, of any kind, if any. */
    child(id: string): AnyActorRef | undefined {
      // A Map: ids from clients (`constructor`, `__proto__`) find nothing of Object.prototype's.
      const ref = live.get(id);
      if (!ref || ref.getSnapshot().status === 'active') return ref;
      // Ended without a last snapshot to inspect (a transition that threw): forget it now.
      live.delete(id);
      return undefined;
    },
    /**
     * Spawns a supervised child of `kind`; its id must be subject-safe and unique. Sent to its
     * supervisor itself: through the root (`child.spawn`) it would cost a root transition.
     */
    spawn(kind: ChildKind, id: string, input: unknown): AnyActorRef {
      const supervisor = activeSupervisorOf(kind, id);
      // After the bridge's stop (an MCP server's request arriving as it closes): refused here,
      // not sent to a stopped actor.
      if (!supervisor) throw new Error(`spawning ${kind} ${id} failed: the bridge has stopped`);
      supervisor.send({ type: 'child.spawn', id, input });
      const ref = (supervisor.getSnapshot().children as Record<string, AnyActorRef | undefined>)[id];
      if (!ref) throw new Error(`spawning ${kind} ${id} failed`);
      return ref;
    },
    /**
     * Stops the `kind` child `id` if it is still live: sent to its supervisor, as `spawn` is.
     * Nothing to do once the bridge has stopped (its children with it): callers clean up in
     * `finally` blocks that may run after the bridge's stop, where a send would reach a stopped
     * actor.
     */
    stop(kind: ChildKind, id: string): void {
      activeSupervisorOf(kind, id)?.send({ type: 'child.stop', id });
    },
    /** Every live actor, root first, as the inspector shows them (the supervisors are not shown). */
    list(): ActorTransition[] {
      const out: ActorTransition[] = [];
      const visit = (ref: AnyActorRef) => {
        const kind = machineKindOf(ref);
        if (kind !== null && kind !== SUPERVISOR_KIND) out.push(describeTransition(ref, kind, ref.getSnapshot(), ''));
        const snap = ref.getSnapshot() as { children?: Record<string, AnyActorRef> };
        for (const child of Object.values(snap.children ?? {})) visit(child);
      };
      visit(root);
      return out;
    },
    /** Counts live actors by kind, for `status` and the health of the supervisor. */
    counts(): Record<string, number> {
      const counts: Record<string, number> = {};
      for (const { kind } of this.list()) counts[kind] = (counts[kind] ?? 0) + 1;
      return counts;
    },
  };
}
export type ActorRuntime = ReturnType<typeof startActorRuntime>;

function fromPromiseLike<I, O>(run: (args: { input: I }) => Promise<O>) {
  return fromPromise<O, I>(({ input }) => run({ input }));
}

/** The supervisors' kind: bookkeeping between the root and each kind's actors, never described. */
const SUPERVISOR_KIND = supervisorMachine.id;

/** Machine actors have a kind (their machine's id); promise/callback helpers (listener, process watchers) have none. */
function machineKindOf(ref: AnyActorRef): string | null {
  const logic = (ref as { logic?: { id?: string; root?: unknown } }).logic;
  return logic && 'root' in logic && typeof logic.id === 'string' ? logic.id : null;
}

/** A machine actor's transition (`kind` from `machineKindOf`; helpers without one are not described). */
function describeTransition(ref: AnyActorRef, kind: string, snapshot: Snapshot<unknown>, eventType: string): ActorTransition {
  const snap = snapshot as { value?: unknown; status: string; context?: unknown };
  return {
    kind,
    actorId: ref.id,
    parentId: parentIdOf(ref),
    state: snap.value ?? null,
    status: snap.status,
    event: eventType,
    context: redactContext(snap.context),
    at: Date.now(),
  };
}

/** Whether a supervisor is this actor's parent: one of the children `child(id)` finds. */
function isSupervised(ref: AnyActorRef): boolean {
  const parent = (ref as { _parent?: AnyActorRef })._parent;
  return parent !== undefined && machineKindOf(parent) === SUPERVISOR_KIND;
}

/** The parent an actor is shown under: a supervisor's children are shown as the root's. */
function parentIdOf(ref: AnyActorRef): string | null {
  const parentOf = (actor: AnyActorRef) => (actor as { _parent?: AnyActorRef })._parent;
  const parent = parentOf(ref);
  if (!parent) return null;
  return machineKindOf(parent) === SUPERVISOR_KIND ? (parentOf(parent)?.id ?? null) : parent.id;
}
