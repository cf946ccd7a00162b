import type { AnyStateMachine } from 'xstate';
import { bridgeMachine, childMachines } from '../../../machines/bridge.machine.js';
import type { MachineDefinition } from '../../contract/routes/ui.js';

type Node = MachineDefinition['nodes'][number];
type Transition = MachineDefinition['transitions'][number];

/** The parts of an XState v5 state node this reads; its public fields, typed loosely on purpose. */
interface StateNodeLike {
  id: string;
  key: string;
  type: Node['type'];
  description?: string;
  parent?: StateNodeLike;
  initial?: { target?: ReadonlyArray<{ id: string }> };
  states: Record<string, StateNodeLike>;
  transitions: Map<string, ReadonlyArray<TransitionLike>>;
  always?: ReadonlyArray<TransitionLike>;
  entry: ReadonlyArray<unknown>;
  exit: ReadonlyArray<unknown>;
  invoke: ReadonlyArray<{ id: string; src: unknown }>;
}

interface TransitionLike {
  target?: ReadonlyArray<{ id: string }>;
  guard?: unknown;
  actions?: ReadonlyArray<unknown>;
  reenter?: boolean;
}

/** Every machine the bridge runs: the root first, then each child kind. */
export function describeAllMachines(): MachineDefinition[] {
  return [
    describeMachine(bridgeMachine, null),
    ...Object.entries(childMachines).map(([kind, machine]) => describeMachine(machine as AnyStateMachine, kind)),
  ];
}

/**
 * A machine's definition as plain data for the inspector: nodes flattened with parent ids, and
 * transitions with their event named as a person reads it (`after ttl`, `done: bindListener`).
 */
export function describeMachine(machine: AnyStateMachine, childKind: string | null): MachineDefinition {
  const nodes: Node[] = [];
  const transitions: Transition[] = [];
  const visit = (node: StateNodeLike) => {
    nodes.push({
      id: node.id,
      key: node.key,
      parentId: node.parent ? node.parent.id : null,
      type: node.type,
      initial: node.initial?.target?.[0]?.id ?? null,
      description: node.description ?? null,
      entry: actionNames(node.entry),
      exit: actionNames(node.exit),
      invoke: node.invoke.map((invoke) => srcName(invoke.src)),
    });
    const invokeSrc = new Map(node.invoke.map((invoke) => [invoke.id, srcName(invoke.src)]));
    for (const [eventType, list] of node.transitions) {
      for (const transition of list) transitions.push(describeTransition(node.id, eventType, transition, invokeSrc));
    }
    for (const transition of node.always ?? []) transitions.push(describeTransition(node.id, '', transition, invokeSrc));
    for (const child of Object.values(node.states)) visit(child);
  };
  visit(machine.root as unknown as StateNodeLike);
  return { machineId: machine.id, childKind, nodes, transitions };
}

function describeTransition(source: string, eventType: string, transition: TransitionLike, invokeSrc: Map<string, string>): Transition {
  return {
    source,
    targets: (transition.target ?? []).map((target) => target.id),
    event: readableEvent(eventType, source, invokeSrc),
    eventType,
    guard: guardName(transition.guard),
    actions: actionNames(transition.actions ?? []),
    reenter: transition.reenter ?? false,
  };
}

/** XState's internal event types, renamed for a newcomer. */
function readableEvent(eventType: string, source: string, invokeSrc: Map<string, string>): string {
  if (eventType === '') return 'always';
  const after = /^xstate\.after\.(.+)\.(.+)$/.exec(eventType);
  if (after && eventType.endsWith(`.${source}`)) {
    const delay = eventType.slice('xstate.after.'.length, -(source.length + 1));
    return /^\d+$/.test(delay) ? `after ${delay} ms` : `after ${delay}`;
  }
  for (const [prefix, label] of [['xstate.done.actor.', 'done'], ['xstate.error.actor.', 'error']] as const) {
    if (eventType.startsWith(prefix)) {
      const id = eventType.slice(prefix.length);
      return `${label}: ${invokeSrc.get(id) ?? (id === '*' ? 'any child' : id)}`;
    }
  }
  if (eventType.startsWith('xstate.done.state.')) return 'done';
  return eventType;
}

function srcName(src: unknown): string {
  if (typeof src === 'string') return src;
  if (src && typeof src === 'object' && 'id' in src && typeof (src as { id: unknown }).id === 'string') return (src as { id: string }).id;
  return 'actor';
}

function guardName(guard: unknown): string | null {
  if (!guard) return null;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && 'type' in guard) return String((guard as { type: unknown }).type);
  if (typeof guard === 'function') return guard.name || 'guard';
  return 'guard';
}

/** Named actions by name; inline functions and XState built-ins by what they do. */
function actionNames(actions: ReadonlyArray<unknown>): string[] {
  return actions
    .map((action) => {
      if (typeof action === 'string') return action;
      if (typeof action === 'function') {
        const type = (action as { type?: unknown }).type;
        return typeof type === 'string' ? type.replace(/^xstate\./, '') : action.name || 'action';
      }
      if (action && typeof action === 'object' && 'type' in action) return String((action as { type: unknown }).type);
      return 'action';
    })
    .filter((name) => name !== 'raise');
}
