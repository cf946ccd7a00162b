import { describe, expect, it } from 'vitest';
import { bridgeMachine, childMachines } from '../../../machines/bridge.machine.js';
import { describeAllMachines, describeMachine } from '../../../src/services/ui/machine-definitions.js';

describe('machine definitions for the inspector', () => {
  const bridge = describeMachine(bridgeMachine, null);

  it('lists the root machine and one definition per child kind', () => {
    const all = describeAllMachines();
    expect(all[0]!.machineId).toBe('bridge');
    expect(all.slice(1).map((m) => m.childKind).sort()).toEqual(Object.keys(childMachines).sort());
  });

  it('flattens the states with their parents and the initial state', () => {
    const root = bridge.nodes.find((n) => n.parentId === null)!;
    expect(root).toMatchObject({ id: 'bridge', type: 'compound', initial: 'bridge.binding' });
    expect(bridge.nodes.filter((n) => n.parentId === 'bridge').map((n) => n.key)).toEqual(['binding', 'listening', 'bind_failed', 'stopping', 'stopped']);
    expect(bridge.nodes.find((n) => n.key === 'stopped')!.type).toBe('final');
  });

  it('keeps state descriptions, so a newcomer can hover a state', () => {
    expect(bridge.nodes.find((n) => n.key === 'bind_failed')!.description).toMatch(/port stays as configured/);
  });

  it('names invoked actors and XState internal events as a person reads them', () => {
    expect(bridge.nodes.find((n) => n.key === 'binding')!.invoke).toEqual(['bindListener']);
    const fromBinding = bridge.transitions.filter((t) => t.source === 'bridge.binding');
    expect(fromBinding.map((t) => [t.event, t.targets])).toEqual(
      expect.arrayContaining([
        ['done: bindListener', ['bridge.listening']],
        ['error: bindListener', ['bridge.bind_failed']],
        ['bridge.stop', ['bridge.stopping']],
      ]),
    );
    const session = describeMachine(childMachines.session, 'session');
    expect(session.transitions.find((t) => t.source === 'session.active' && t.targets[0] === 'session.expired')!.event).toBe('after ttl');
  });

  it('keeps transitions that stay in the state, with no target', () => {
    expect(bridge.transitions.find((t) => t.eventType === 'settings.update')).toMatchObject({ source: 'bridge', targets: [] });
  });

  it('is plain JSON (it travels over the bus and HTTP)', () => {
    const all = describeAllMachines();
    expect(JSON.parse(JSON.stringify(all))).toEqual(all);
  });
});
