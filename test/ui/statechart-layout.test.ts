import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { describeAllMachines } from '../../src/services/ui/machine-definitions.js';
import { activePaths, elkGraph, nodePaths } from '../../ui/resources/js/statechart.js';

/** The same bundle the page loads (vendored from this package). */
const ELK = createRequire(import.meta.url)('elkjs/lib/elk.bundled.js') as new () => { layout(graph: unknown): Promise<unknown> };

interface LaidOut {
  id: string;
  x?: number;
  y?: number;
  width?: number;
  height?: number;
  children?: LaidOut[];
}

describe('statechart layout (the page\'s graph, laid out by ELK)', () => {
  it.each(describeAllMachines().map((m) => [m.machineId, m] as const))('lays out every state of %s without overlapping siblings', async (_id, machine) => {
    const laid = (await new ELK().layout(elkGraph(machine))) as LaidOut;
    const visit = (node: LaidOut) => {
      const kids = node.children ?? [];
      for (const [i, a] of kids.entries()) {
        for (const b of kids.slice(i + 1)) {
          const overlap = a.x! < b.x! + b.width! && b.x! < a.x! + a.width! && a.y! < b.y! + b.height! && b.y! < a.y! + a.height!;
          expect({ a: a.id, b: b.id, overlap }).toEqual({ a: a.id, b: b.id, overlap: false });
        }
        visit(a);
      }
    };
    visit(laid);
    const placed = new Set<string>();
    const collect = (node: LaidOut) => (placed.add(node.id), node.children?.forEach(collect));
    collect(laid);
    for (const node of machine.nodes) expect(placed.has(node.id)).toBe(true);
  });

  it('maps state values onto the drawn states', () => {
    const bridge = describeAllMachines()[0]!;
    const paths = nodePaths(bridge);
    expect(paths.get('bridge.bind_failed')).toBe('bind_failed');
    expect(activePaths('bind_failed')).toEqual(['bind_failed']);
    expect(activePaths({ running: { output: 'streaming' } })).toEqual(['running', 'running.output', 'running.output.streaming']);
  });
});
