import { afterEach, describe, expect, it } from 'vitest';
import { createInProcessBus, subjectsFor } from '../../src/bus/index.js';
import { startActorRuntime, type ActorRuntime } from '../../src/runtime/actor-runtime.js';

let runtime: ActorRuntime | undefined;
afterEach(() => runtime?.root.stop());

function start(): ActorRuntime {
  runtime = startActorRuntime({
    bus: createInProcessBus(),
    subjects: subjectsFor('test'),
    input: { bridgeId: 'test', version: '0.0.0', configuredPort: 1, trayMode: false, defaultCommandTimeoutMs: 1_000, promptTimeoutMs: 1_000, bus: 'embedded' },
    bindListener: async (port) => ({ port }),
    closeListener: async () => {},
  });
  return runtime;
}

describe('actor runtime child lookup', () => {
  // Found by fuzzing: GET /api/v1/system/commands/runs/constructor answered 500, because the
  // lookup found Object.prototype.constructor among the children.
  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'])('finds no child called %s', (id) => {
    expect(start().child(id)).toBeUndefined();
  });
});
