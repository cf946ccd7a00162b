import type { SnapshotFrom } from 'xstate';
import { installJob, type toolInstallMachine, type ToolInstallContext } from '../../../machines/toolInstall.machine.js';
import type { RunDetails, RunState } from '../../contract/routes/commands.js';
import type { StoredInstallJob } from '../../storage/install-jobs-repository.js';
import { installReplyOf } from './install-reply.js';

export type InstallSnapshot = SnapshotFrom<typeof toolInstallMachine>;

/** An install as the service keeps it: its latest snapshot and when it began and ended. */
export interface InstallRecord {
  snapshot: InstallSnapshot;
  createdAt: string;
  endedAt: string | null;
}

/** The install's state in the words of a run. */
export function installRunState(snapshot: InstallSnapshot): RunState {
  const context = snapshot.context as ToolInstallContext;
  if (snapshot.matches('awaiting_permission')) return 'awaiting_permission';
  if (snapshot.matches('completed')) return 'completed';
  if (snapshot.matches('failed')) return context.failure?.state ?? 'failed';
  return context.startedAt === null ? 'starting' : 'running';
}

/**
 * An install job as run details, for `GET …/runs/:runId` and the runs list by `requestId`: the
 * web app looks up every job by the bridge's id. Its template is the first step (the prompt's);
 * its output is that of its steps, which are runs of their own (`system.tool.install_output`
 * streams it), so none is held here.
 */
export function installRunView({ snapshot, createdAt, endedAt }: InstallRecord): RunDetails {
  const context = snapshot.context as ToolInstallContext;
  const state = installRunState(snapshot);
  const job = installJob(context, jobStatus(state));
  const [first] = context.steps;
  return {
    runId: context.installId,
    kind: 'install',
    state,
    status: job.status,
    requestId: context.requestId,
    context: context.context,
    recoveryHint: job.recoveryHint,
    title: `Install ${context.title}`,
    reason: context.reason,
    template: { command: first!.command, args: first!.args },
    shell: false,
    timeoutMs: context.timeoutMs,
    keepAwake: false,
    requestedBy: context.requestedBy,
    promptId: context.promptId,
    ruleId: null,
    decisionId: context.decisionId,
    awakeLock: null,
    pid: null,
    exitCode: context.failure?.exitCode ?? (state === 'completed' ? 0 : null),
    signal: context.failure?.signal ?? null,
    errorCode: context.failure?.errorCode ?? null,
    errorMessage: context.failure?.message ?? null,
    createdAt,
    startedAt: context.startedAt,
    endedAt,
    durationMs: context.startedAt !== null ? context.usedMs : null,
    partialOutput: false,
    stdoutBytes: 0,
    stderrBytes: 0,
    stdout: null,
    stderr: null,
    interleaving: null,
  };
}

function jobStatus(state: RunState) {
  switch (state) {
    case 'completed':
    case 'running':
    case 'terminated':
      return state;
    case 'awaiting_permission':
    case 'starting':
    case 'queued':
      return 'queued' as const;
    default:
      return 'failed' as const;
  }
}

/** The install as stored: its run details and what a repeat of its `requestId` answers. */
export function storedInstallJob(record: InstallRecord): StoredInstallJob {
  return { toolId: (record.snapshot.context as ToolInstallContext).tool, details: installRunView(record), reply: installReplyOf(record.snapshot) };
}
