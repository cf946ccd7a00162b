/** Types of `statechart.js`'s pure helpers, for the tests that lay its graphs out in Node. */
import type { MachineDefinition } from '../../../src/contract/routes/ui.js';

export declare function nodePaths(definition: MachineDefinition): Map<string, string>;
export declare function activePaths(value: unknown, prefix?: string): string[];
export declare function elkGraph(definition: MachineDefinition): Record<string, unknown>;
export declare function drawStatechart(definition: MachineDefinition): Promise<{ svg: SVGSVGElement; highlight(value: unknown): string[] }>;
