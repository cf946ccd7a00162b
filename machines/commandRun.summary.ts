import type { ErrorCode } from '../src/contract/errors.js';
import type { Principal } from '../src/contract/principal.js';
import type { CommandTemplate, RunKind, RunState, RunSummary } from '../src/contract/routes/commands.js';
import { jobStatusOf, type JobContext, type JobEvent, type RecoveryHint } from '../src/contract/routes/jobs.js';
import type { PromptDetails } from '../src/contract/routes/permissions.js';

/** What actually runs: the web app's resolved values. They may hold secrets and never leave the actor. */
export interface ResolvedCommand {
  command: string;
  args: string[];
  cwd?: string;
  env?: Record<string, string>;
  stdin?: string;
}

export interface RunInput {
  runId: string;
  /** `install` runs always prompt (`whitelistAllowed` false). */
  kind: RunKind;
  whitelistAllowed: boolean;
  title: string;
  /** Why, in the agent's own words; null when it gave none. */
  reason: string | null;
  /** What the user sees, what rules match and what is stored. */
  template: CommandTemplate;
  resolved: ResolvedCommand;
  shell: boolean;
  timeoutMs: number;
  keepAwake: boolean;
  requestedBy: Principal;
  createdAt: string;
  /** Extra facts for the prompt (an install's recipe). */
  details: PromptDetails | null;
  /** The web app's own id of the request, as sent. */
  requestId: string | null;
  /** Provenance (skill, task), bounded and validated; shown in the prompt and the audit. */
  context: JobContext | null;
}

export interface OutputTotals {
  stdoutBytes: number;
  stderrBytes: number;
  partialOutput: boolean;
}

export interface RunContext extends RunInput {
  promptId: string | null;
  ruleId: string | null;
  decisionId: string | null;
  pid: number | null;
  exitCode: number | null;
  signal: string | null;
  errorCode: ErrorCode | null;
  errorMessage: string | null;
  startedAt: string | null;
  endedAt: string | null;
  /** Why the process tree is being killed. */
  stopCause: 'terminate' | 'timeout' | null;
  /** Time left before the run times out, counted down in slices a timer can hold. */
  timeoutLeftMs: number;
  awake: { lockId: string | null; note: string | null } | null;
  output: OutputTotals;
  /** Set once it waits in the queue for a slot under `maxConcurrentRuns`. */
  queued: boolean;
  /** Whether anything may have run, for a run that ended abnormally (see `recoveryHintSchema`). */
  recoveryHint: RecoveryHint;
}

/**
 * The input's fields are named one by one rather than spread: on Node 20's V8, a literal that
 * starts with a spread and then adds new properties takes a slow path that builds fresh hidden
 * classes each time (~37 µs and ~14 KB for this one, against well under 1 µs named; Node 24's V8
 * does not), and every run builds one (docs/performance.md, round 12). The RunContext type keeps
 * the list whole: a field added to RunInput and not named here does not compile.
 */
export function initialRunContext(input: RunInput): RunContext {
  return {
    runId: input.runId,
    kind: input.kind,
    whitelistAllowed: input.whitelistAllowed,
    title: input.title,
    reason: input.reason,
    template: input.template,
    resolved: input.resolved,
    shell: input.shell,
    timeoutMs: input.timeoutMs,
    keepAwake: input.keepAwake,
    requestedBy: input.requestedBy,
    createdAt: input.createdAt,
    details: input.details,
    requestId: input.requestId,
    context: input.context,
    promptId: null,
    ruleId: null,
    decisionId: null,
    pid: null,
    exitCode: null,
    signal: null,
    errorCode: null,
    errorMessage: null,
    startedAt: null,
    endedAt: null,
    stopCause: null,
    timeoutLeftMs: input.timeoutMs,
    awake: input.keepAwake ? { lockId: null, note: null } : null,
    output: { stdoutBytes: 0, stderrBytes: 0, partialOutput: false },
    queued: false,
    recoveryHint: null,
  };
}

/** The run as listed and stored: template fields only, never `resolved`. */
export function runSummary(context: RunContext, state: RunState): RunSummary {
  const durationMs = context.startedAt && context.endedAt ? Math.max(0, Date.parse(context.endedAt) - Date.parse(context.startedAt)) : null;
  return {
    runId: context.runId,
    kind: context.kind,
    state,
    status: jobStatusOf(state),
    requestId: context.requestId,
    context: context.context,
    recoveryHint: context.recoveryHint,
    title: context.title,
    reason: context.reason,
    template: context.template,
    shell: context.shell,
    timeoutMs: context.timeoutMs,
    keepAwake: context.keepAwake,
    requestedBy: context.requestedBy,
    promptId: context.promptId,
    ruleId: context.ruleId,
    decisionId: context.decisionId,
    awakeLock: context.awake,
    pid: context.pid,
    exitCode: context.exitCode,
    signal: context.signal,
    errorCode: context.errorCode,
    errorMessage: context.errorMessage,
    createdAt: context.createdAt,
    startedAt: context.startedAt,
    endedAt: context.endedAt,
    durationMs,
    partialOutput: context.output.partialOutput,
    stdoutBytes: context.output.stdoutBytes,
    stderrBytes: context.output.stderrBytes,
  };
}

/** The run as a `bridge.job.*` event announces it. */
export function jobEventOf(context: RunContext, state: RunState): JobEvent {
  return {
    runId: context.runId,
    requestId: context.requestId,
    kind: context.kind,
    status: jobStatusOf(state),
    summary: { command: [context.template.command, ...context.template.args].join(' '), toolId: context.details?.tool ?? null },
    recoveryHint: context.recoveryHint,
    context: context.context,
    exitCode: context.exitCode,
    errorCode: context.errorCode,
  };
}

/** The contract state of a run machine state value: `stopping` is still `running` until the tree is gone. */
export function runStateOf(value: unknown): RunState {
  if (typeof value === 'object' && value !== null) return 'awaiting_permission';
  if (value === 'stopping') return 'running';
  return value as RunState;
}
