import { assign, fromCallback, fromPromise, setup, type EventObject } from 'xstate';
import type { ErrorCode } from '../src/contract/errors.js';
import type { EventData } from '../src/contract/events.js';
import type { Principal } from '../src/contract/principal.js';
import type { JobContext, JobEvent, JobStatus, RecoveryHint } from '../src/contract/routes/jobs.js';
import type { RecipeStep, ToolStatus } from '../src/contract/routes/system.js';
import { publishPlaceholder, type PublishParams } from './contract-event.js';

export interface ToolInstallInput {
  installId: string;
  tool: string;
  title: string;
  /** The executable that shows the tool is installed, located once the steps ran. */
  binary: string;
  variantId: string;
  packageManager: string;
  requiresElevation: boolean;
  /** Exactly what runs, in order: what the one prompt shows and the one approval covers. */
  steps: RecipeStep[];
  /** For the whole install: each step's run gets what the earlier steps left of it. */
  timeoutMs: number;
  reason: string | null;
  requestedBy: Principal;
  requestId: string | null;
  context: JobContext | null;
}

export type InstallFailureState = EventData<'system.tool.install_failed'>['state'];

export interface InstallFailure {
  state: InstallFailureState;
  errorCode: ErrorCode | null;
  message: string;
  exitCode: number | null;
  signal: string | null;
  recoveryHint: RecoveryHint;
}

export interface ToolInstallContext extends ToolInstallInput {
  /** The one prompt of the install, once the authority opened it. */
  promptId: string | null;
  /** The user's decision that allowed the install; set once allowed. */
  decisionId: string | null;
  /** Index of the step running now. */
  step: number;
  /** The command run of each step started so far. */
  runIds: string[];
  /** Milliseconds the steps' processes took so far. */
  usedMs: number;
  /** When the first step started. */
  startedAt: string | null;
  located: ToolStatus | null;
  failure: InstallFailure | null;
}

/** What the permission gate reports: the authority's verdict, then (after the prompt) the user's answer. */
export type PermissionEvent =
  | { type: 'permission.pending'; promptId: string }
  | { type: 'permission.allowed'; promptId: string; decisionId: string }
  | { type: 'permission.rejected'; code: Extract<ErrorCode, 'bridge_policy_denied' | 'rejected_by_user' | 'permission_timeout'>; promptId: string | null; decisionId: string | null; message: string }
  | { type: 'permission.failed'; message: string };

/** What one step's run reports; `index` tells stale reports of an earlier step apart. */
export type StepEvent =
  /** The step's run exists (it may still wait for a slot). */
  | { type: 'step.created'; index: number; runId: string }
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
      /** The step run's own hint (timeout, spawn_failure, bridge_restart). */
      recoveryHint: RecoveryHint;
    };

/** Terminate the install before any step ran (its prompt is withdrawn); a running step is terminated as a run. */
export type TerminateEvent = { type: 'install.terminate' };

export type ToolInstallEvent = PermissionEvent | StepEvent | TerminateEvent;

/** Input of the permission gate: the install as the one prompt shows it. */
export interface InstallPermissionInput {
  installId: string;
  tool: string;
  title: string;
  variantId: string;
  packageManager: string;
  requiresElevation: boolean;
  steps: RecipeStep[];
  reason: string | null;
  requestedBy: Principal;
  context: JobContext | null;
}

/** What one step's run is started with: the step, where it stands, and the approval covering it. */
export interface InstallStepInput {
  installId: string;
  tool: string;
  packageManager: string;
  index: number;
  step: RecipeStep;
  stepCount: number;
  timeoutMs: number;
  reason: string | null;
  requestedBy: Principal;
  requestId: string | null;
  context: JobContext | null;
  /** The user's approval of the install, which the step's run is granted. */
  decisionId: string;
  promptId: string;
}

type Ended = Extract<StepEvent, { type: 'step.ended' }>;

const isCurrent = ({ context, event }: { context: ToolInstallContext; event: ToolInstallEvent }) => 'index' in event && event.index === context.step;

/** The install as a job the web app follows (`bridge.job.*`). */
export function installJob(context: ToolInstallContext, status: JobStatus): JobEvent {
  return {
    runId: context.installId,
    requestId: context.requestId,
    kind: 'install',
    status,
    summary: { command: context.steps[0]?.command ?? null, toolId: context.tool },
    recoveryHint: context.failure?.recoveryHint ?? null,
    context: context.context,
    exitCode: context.failure?.exitCode ?? null,
    errorCode: context.failure?.errorCode ?? null,
  };
}

const job = (type: 'bridge.job.created' | 'bridge.job.updated', status: JobStatus) => ({
  type: 'publish' as const,
  params: ({ context }: { context: ToolInstallContext }): PublishParams => ({ type, data: installJob(context, status) }),
});

const failedEvent = (context: ToolInstallContext): PublishParams => ({
  type: 'system.tool.install_failed',
  data: {
    installId: context.installId,
    tool: context.tool,
    state: context.failure?.state ?? 'failed',
    errorCode: context.failure?.errorCode ?? null,
    message: context.failure?.message ?? 'The install failed.',
    step: context.decisionId !== null ? context.step : null,
    exitCode: context.failure?.exitCode ?? null,
    signal: context.failure?.signal ?? null,
  },
});

/**
 * A step's hint, as the whole install's: a later step that never spawned does not mean nothing
 * ran (the earlier steps did), so only the first step's `spawn_failure` is kept.
 */
function installHint(event: Ended): RecoveryHint {
  if (event.recoveryHint === 'spawn_failure' && event.index > 0) return null;
  return event.recoveryHint;
}

/**
 * A tool install, as one job: the permission authority is asked once, with every step of the
 * recipe in the prompt (`subjectKind: 'install'`, which always prompts and can never be
 * whitelisted). Once the user allows it, the steps run one after the other, each as a command run
 * granted exactly that approval. A step that does not complete ends the install; once it ends the
 * tool is located again and the inventory refreshed.
 */
export const toolInstallMachine = setup({
  types: {} as { context: ToolInstallContext; input: ToolInstallInput; events: ToolInstallEvent },
  actors: {
    /** Asks the permission authority once for the whole install; reports its verdict, then the user's answer. */
    askPermission: fromCallback<EventObject, InstallPermissionInput>(() => () => {}),
    /** Grants one step the install's approval, starts it as a command run and follows it to its end. */
    installStep: fromCallback<EventObject, InstallStepInput>(() => () => {}),
    /** Looks for the tool's executable on the login-shell PATH. */
    locateTool: fromPromise<ToolStatus, { tool: string; binary: string }>(async ({ input }) => ({ name: input.tool, installed: false, path: null, version: null })),
  },
  actions: {
    publish: publishPlaceholder,
    /** Refreshes the tool inventory and announces `system.tools.inventory_updated` (cause: install). */
    refreshInventory: () => {},
    /** Drops whatever part of the install's approval no step used. */
    revokeGrants: () => {},
  },
  guards: {
    isCurrent,
    completedWithMoreSteps: ({ context, event }) => isCurrent({ context, event }) && (event as Ended).state === 'completed' && context.step + 1 < context.steps.length,
    completedLastStep: ({ context, event }) => isCurrent({ context, event }) && (event as Ended).state === 'completed',
    /** The first step started: the job is `running` and `install_started` is announced, once. */
    isFirstStart: ({ context, event }) => isCurrent({ context, event }) && context.startedAt === null,
  },
}).createMachine({
  id: 'toolInstall',
  context: ({ input }) => ({ ...input, promptId: null, decisionId: null, step: 0, runIds: [], usedMs: 0, startedAt: null, located: null, failure: null }),
  initial: 'awaiting_permission',
  entry: job('bridge.job.created', 'queued'),
  states: {
    awaiting_permission: {
      description: 'One prompt for the whole install, listing every step exactly as it will run.',
      invoke: {
        src: 'askPermission',
        input: ({ context }) => ({
          installId: context.installId,
          tool: context.tool,
          title: context.title,
          variantId: context.variantId,
          packageManager: context.packageManager,
          requiresElevation: context.requiresElevation,
          steps: context.steps,
          reason: context.reason,
          requestedBy: context.requestedBy,
          context: context.context,
        }),
      },
      on: {
        'permission.pending': { actions: assign({ promptId: ({ event }) => event.promptId }) },
        'permission.allowed': { target: 'running', actions: assign({ promptId: ({ event }) => event.promptId, decisionId: ({ event }) => event.decisionId }) },
        'permission.rejected': {
          target: 'failed',
          actions: assign({
            promptId: ({ context, event }) => event.promptId ?? context.promptId,
            failure: ({ event }) => ({ state: 'rejected' as const, errorCode: event.code, message: event.message, exitCode: null, signal: null, recoveryHint: null }),
          }),
        },
        'install.terminate': {
          target: 'failed',
          actions: assign({ failure: () => ({ state: 'terminated' as const, errorCode: null, message: 'The install was terminated before it ran.', exitCode: null, signal: null, recoveryHint: null }) }),
        },
        'permission.failed': {
          target: 'failed',
          actions: assign({ failure: ({ event }) => ({ state: 'failed' as const, errorCode: 'unavailable' as const, message: event.message, exitCode: null, signal: null, recoveryHint: null }) }),
        },
      },
    },
    running: {
      description: 'One step at a time, each a command run granted the install\'s approval.',
      invoke: {
        src: 'installStep',
        input: ({ context }) => ({
          installId: context.installId,
          tool: context.tool,
          packageManager: context.packageManager,
          index: context.step,
          step: context.steps[context.step]!,
          stepCount: context.steps.length,
          timeoutMs: Math.max(1, context.timeoutMs - context.usedMs),
          reason: context.reason,
          requestedBy: context.requestedBy,
          requestId: context.requestId,
          context: context.context,
          decisionId: context.decisionId!,
          promptId: context.promptId!,
        }),
      },
      on: {
        'step.created': { guard: 'isCurrent', actions: assign(({ context, event }) => ({ runIds: withRun(context.runIds, context.step, event.runId) })) },
        'step.started': [
          {
            guard: 'isFirstStart',
            actions: [
              assign(({ context, event }) => ({ runIds: withRun(context.runIds, context.step, event.runId), startedAt: event.at })),
              {
                type: 'publish',
                params: ({ context }) => ({
                  type: 'system.tool.install_started',
                  data: { installId: context.installId, tool: context.tool, variantId: context.variantId, packageManager: context.packageManager, steps: context.steps },
                }),
              },
              job('bridge.job.updated', 'running'),
            ],
          },
          { guard: 'isCurrent', actions: assign(({ context, event }) => ({ runIds: withRun(context.runIds, context.step, event.runId) })) },
        ],
        'step.ended': [
          {
            guard: 'completedWithMoreSteps',
            target: 'running',
            reenter: true,
            actions: assign(({ context, event }) => ({ step: context.step + 1, usedMs: context.usedMs + event.durationMs })),
          },
          { guard: 'completedLastStep', target: 'locating', actions: assign(({ context, event }) => ({ usedMs: context.usedMs + event.durationMs })) },
          {
            guard: 'isCurrent',
            target: 'failed',
            actions: assign(({ context, event }) => ({
              usedMs: context.usedMs + event.durationMs,
              failure: {
                state: event.state === 'completed' ? 'failed' : event.state,
                errorCode: event.errorCode,
                message: event.message ?? `Step ${context.step + 1} of ${context.steps.length} ended ${event.state}.`,
                exitCode: event.exitCode,
                signal: event.signal,
                recoveryHint: installHint(event),
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
        'revokeGrants',
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
        job('bridge.job.updated', 'completed'),
        'refreshInventory',
      ],
    },
    failed: {
      type: 'final',
      entry: [
        'revokeGrants',
        { type: 'publish', params: ({ context }) => failedEvent(context) },
        {
          type: 'publish',
          params: ({ context }) => ({ type: 'bridge.job.updated', data: installJob(context, context.failure?.state === 'terminated' ? 'terminated' : 'failed') }),
        },
        'refreshInventory',
      ],
    },
  },
});

function withRun(runIds: string[], step: number, runId: string): string[] {
  if (runIds[step] === runId) return runIds;
  const next = [...runIds];
  next[step] = runId;
  return next;
}
