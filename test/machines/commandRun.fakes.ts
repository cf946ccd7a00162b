import { createActor, fromCallback, SimulatedClock } from 'xstate';
import { commandRunMachine, type AwakeInput, type GateInput, type ProcessInput, type RunEvent, type RunInput, type SlotInput } from '../../machines/commandRun.machine.js';
import type { PublishParams } from '../../machines/contract-event.js';
import type { RunSummary } from '../../src/contract/routes/commands.js';

export const runInput = (overrides: Partial<RunInput> = {}): RunInput => ({
  runId: 'run_1',
  kind: 'command',
  whitelistAllowed: true,
  title: 'Print a greeting',
  reason: 'a test',
  template: { command: 'echo', args: ['__OSL_SECRET[greeting]__'] },
  resolved: { command: 'echo', args: ['s3cret-value'] },
  shell: false,
  timeoutMs: 10_000,
  keepAwake: false,
  requestedBy: { kind: 'session', sessionId: 'ses_1', origin: 'https://app.example' },
  createdAt: '2026-01-01T00:00:00.000Z',
  details: null,
  requestId: null,
  context: null,
  ...overrides,
});

type SendBack = (event: RunEvent) => void;

/**
 * A run actor whose effects are test doubles: the test plays the permission authority, the
 * process and the awake service by sending their events, and reads what the machine did.
 */
export function startRun(overrides: Partial<RunInput> = {}, options: { slots?: 'free' | 'manual' } = {}) {
  const clock = new SimulatedClock();
  /** `system.command.*` events; the `bridge.job.*` ones are in `jobEvents`. */
  const published: PublishParams[] = [];
  const jobEvents: PublishParams[] = [];
  const slot = { requested: false, released: false, sendBack: undefined as SendBack | undefined };
  const persisted: RunSummary[] = [];
  const gate = { input: undefined as GateInput | undefined, sendBack: undefined as SendBack | undefined, stopped: false };
  const proc = { input: undefined as ProcessInput | undefined, sendBack: undefined as SendBack | undefined, kills: 0, stopped: false };
  const awake = { started: false, stopped: false, input: undefined as AwakeInput | undefined, sendBack: undefined as SendBack | undefined };

  const actor = createActor(
    commandRunMachine.provide({
      actors: {
        permissionGate: fromCallback<RunEvent, GateInput>(({ input, sendBack }) => {
          gate.input = input;
          gate.sendBack = sendBack as SendBack;
          return () => void (gate.stopped = true);
        }),
        process: fromCallback<{ type: 'process.kill' }, ProcessInput>(({ input, sendBack, receive }) => {
          proc.input = input;
          proc.sendBack = sendBack as SendBack;
          receive(() => void proc.kills++);
          return () => void (proc.stopped = true);
        }),
        awakeLock: fromCallback<RunEvent, AwakeInput>(({ input, sendBack }) => {
          awake.input = input;
          awake.started = true;
          awake.sendBack = sendBack as SendBack;
          return () => void (awake.stopped = true);
        }),
        slot: fromCallback<RunEvent, SlotInput>(({ sendBack }) => {
          slot.requested = true;
          slot.sendBack = sendBack as SendBack;
          if (options.slots !== 'manual') sendBack({ type: 'slot.granted' });
          return () => void (slot.released = true);
        }),
      },
      actions: {
        publish: (_, params) => void (params.type.startsWith('bridge.job.') ? jobEvents : published).push(params),
        persist: (_, run) => void persisted.push(run),
      },
    }),
    { clock, input: runInput(overrides) },
  ).start();

  const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
  return {
    actor,
    clock,
    published,
    jobEvents,
    persisted,
    slot,
    gate,
    proc,
    awake,
    at,
    allowByRule() {
      gate.sendBack!({ type: 'permission.allowed', decidedBy: 'rule', ruleId: 'rule_1', promptId: null, decisionId: 'dec_1', at: at(1) });
    },
    spawn(pid = 4242) {
      proc.sendBack!({ type: 'process.spawned', pid, at: at(2) });
    },
    exit(facts: { exitCode?: number | null; signal?: string | null; spawnError?: string | null } = {}) {
      proc.sendBack!({
        type: 'process.exited',
        exitCode: facts.exitCode === undefined ? 0 : facts.exitCode,
        signal: facts.signal ?? null,
        spawnError: facts.spawnError ?? null,
        output: { stdoutBytes: 12, stderrBytes: 0, partialOutput: false },
        at: at(5),
      });
    },
    state: () => actor.getSnapshot().value,
  };
}
