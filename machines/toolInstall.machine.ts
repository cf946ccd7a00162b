import { assign, fromCallback, fromPromise, setup, type EventObject } from 'xstate';
import type { ErrorCode } from '../src/contract/errors.js';
import type { EventData } from '../src/contract/events.js';
import type { Principal } from '../src/contract/principal.js';
import type { RecipeStep, ToolStatus } from '../src/contract/routes/system.js';
import { publishPlaceholder, type PublishParams } from './contract-event.js';

export interface ToolInstallInput {
  installId: string;
  tool: string;
  /** The executable that shows the tool is installed, located once the steps ran. */
  binary: string;
  variantId: string;
  packageManager: string;
  requiresElevation: boolean;
  steps: RecipeStep[];
  /** For the whole install: each step's run gets what the earlier steps left of it. */
  timeoutMs: number;
  reason: string | null;
  requestedBy: Principal;
}

export type InstallFailureState = EventData<'system.tool.install_failed'>['state'];

export interface ToolInstallContext extends ToolInstallInput {
  /** Index of the step running (or waiting for permission) now. */
  step: number;
  /** The command run of each step started so far. */
  runIds: string[];
  /** The prompt of the current step, while it waits for the user. */
  promptId: string | null;
  /** Milliseconds the steps' processes took so far. */
  usedMs: number;
  /** When the first step started (after the user allowed it). */
  startedAt: string | null;
  located: ToolStatus | null;
  failure: { state: InstallFailureState; errorCode: ErrorCode | null; message: string; exitCode: number | null; signal: string | null } | null;
}

/** What one step's run reports; `index` tells stale reports of an earlier step apart. */
export type StepEvent =
  | { type: 'step.prompted'; index: number; runId: string; promptId: string }
  | { type: 'step.started'; index: number; runId: string; at: string }
  | {
      type: 'step.ended';
      index: number;
      runId: string | null;
      /** The run's final state. */
      state: 'completed' | InstallFailureState;
      errorCode: ErrorCode | null;
      message: string | null;
      exitCode: number | null;
      signal: string | null;
      durationMs: number;
    };

/** What one step's run is started with: the install's facts, less the binary, plus the step. */
export interface InstallStepInput extends Omit<ToolInstallInput, 'binary'> {
  index: number;
  step: RecipeStep;
  stepCount: number;
}

type Ended = Extract<StepEvent, { type: 'step.ended' }>;

const isCurrent = ({ context, event }: { context: ToolInstallContext; event: StepEvent }) => event.index === context.step;

const failedEvent = (context: ToolInstallContext): PublishParams => ({
  type: 'system.tool.install_failed',
  data: {
    installId: context.installId,
    tool: context.tool,
    state: context.failure?.state ?? 'failed',
    errorCode: context.failure?.errorCode ?? null,
    message: context.failure?.message ?? 'The install failed.',
    step: context.runIds.length > 0 ? context.step : null,
    exitCode: context.failure?.exitCode ?? null,
    signal: context.failure?.signal ?? null,
  },
});

/**
 * A tool install: the recipe's steps, each a command run of kind `install` — which always
 * prompts and can never be whitelisted — one after the other. A step that does not complete ends
 * the install; once it ends the tool is located again and the inventory refreshed.
 */
export const toolInstallMachine = setup({
  types: {} as { context: ToolInstallContext; input: ToolInstallInput; events: StepEvent },
  actors: {
    /** Starts one step as a command run and follows it to its end. */
    installStep: fromCallback<EventObject, InstallStepInput>(() => () => {}),
    /** Looks for the tool's executable on the login-shell PATH. */
    locateTool: fromPromise<ToolStatus, { tool: string; binary: string }>(async ({ input }) => ({ name: input.tool, installed: false, path: null, version: null })),
  },
  actions: {
    publish: publishPlaceholder,
    /** Refreshes the tool inventory and announces `system.tools.inventory_updated` (cause: install). */
    refreshInventory: () => {},
    recordStart: assign(({ context, event }) => {
      const started = event as Extract<StepEvent, { type: 'step.started' }>;
      return { promptId: null, runIds: withRun(context.runIds, context.step, started.runId), startedAt: context.startedAt ?? started.at };
    }),
  },
  guards: {
    isCurrent,
    completedWithMoreSteps: ({ context, event }) => isCurrent({ context, event }) && (event as Ended).state === 'completed' && context.step + 1 < context.steps.length,
    completedLastStep: ({ context, event }) => isCurrent({ context, event }) && (event as Ended).state === 'completed',
    /** The user allowed the install and its first step started: `install_started`, once. */
    isFirstStart: ({ context, event }) => isCurrent({ context, event }) && context.step === 0 && context.startedAt === null,
  },
}).createMachine({
  id: 'toolInstall',
  context: ({ input }) => ({ ...input, step: 0, runIds: [], promptId: null, usedMs: 0, startedAt: null, located: null, failure: null }),
  initial: 'running',
  states: {
    running: {
      description: 'One step at a time: its run waits for the user\'s permission, then runs.',
      invoke: {
        src: 'installStep',
        input: ({ context }) => ({
          installId: context.installId,
          index: context.step,
          step: context.steps[context.step]!,
          stepCount: context.steps.length,
          tool: context.tool,
          variantId: context.variantId,
          packageManager: context.packageManager,
          requiresElevation: context.requiresElevation,
          steps: context.steps,
          timeoutMs: Math.max(1, context.timeoutMs - context.usedMs),
          reason: context.reason,
          requestedBy: context.requestedBy,
        }),
      },
      on: {
        'step.prompted': {
          guard: 'isCurrent',
          actions: assign(({ context, event }) => ({ promptId: event.promptId, runIds: withRun(context.runIds, context.step, event.runId) })),
        },
        'step.started': [
          {
            guard: 'isFirstStart',
            actions: [
              'recordStart',
              {
                type: 'publish',
                params: ({ context }) => ({
                  type: 'system.tool.install_started',
                  data: { installId: context.installId, tool: context.tool, variantId: context.variantId, packageManager: context.packageManager, steps: context.steps },
                }),
              },
            ],
          },
          { guard: 'isCurrent', actions: 'recordStart' },
        ],
        'step.ended': [
          {
            guard: 'completedWithMoreSteps',
            target: 'running',
            reenter: true,
            actions: assign(({ context, event }) => ({ step: context.step + 1, promptId: null, usedMs: context.usedMs + event.durationMs })),
          },
          { guard: 'completedLastStep', target: 'locating', actions: assign(({ context, event }) => ({ usedMs: context.usedMs + event.durationMs })) },
          {
            guard: 'isCurrent',
            target: 'failed',
            actions: assign(({ context, event }) => ({
              promptId: null,
              usedMs: context.usedMs + event.durationMs,
              failure: {
                state: event.state === 'completed' ? 'failed' : event.state,
                errorCode: event.errorCode,
                message: event.message ?? `Step ${context.step + 1} of ${context.steps.length} ended ${event.state}.`,
                exitCode: event.exitCode,
                signal: event.signal,
              },
            })),
          },
        ],
      },
    },
    locating: {
      invoke: {
        src: 'locateTool',
        input: ({ context }) => ({ tool: context.tool, binary: context.binary }),
        onDone: { target: 'completed', actions: assign({ located: ({ event }) => event.output }) },
        // The steps all completed; not finding the tool afterwards does not undo that.
        onError: { target: 'completed' },
      },
    },
    completed: {
      type: 'final',
      entry: [
        {
          type: 'publish',
          params: ({ context }) => ({
            type: 'system.tool.install_completed',
            data: {
              installId: context.installId,
              durationMs: context.usedMs,
              tool: context.located ?? { name: context.tool, installed: false, path: null, version: null },
            },
          }),
        },
        'refreshInventory',
      ],
    },
    failed: {
      type: 'final',
      entry: [{ type: 'publish', params: ({ context }) => failedEvent(context) }, 'refreshInventory'],
    },
  },
});

function withRun(runIds: string[], step: number, runId: string): string[] {
  if (runIds[step] === runId) return runIds;
  const next = [...runIds];
  next[step] = runId;
  return next;
}
