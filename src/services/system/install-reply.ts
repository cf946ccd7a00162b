import { installJob, type ToolInstallContext } from '../../../machines/toolInstall.machine.js';
import { BridgeError, type ErrorCode } from '../../contract/errors.js';
import type { JobDecision } from '../../contract/routes/jobs.js';
import type { InstallAccepted } from '../../contract/routes/system.js';
import type { StoredInstallReply } from '../../storage/install-jobs-repository.js';
import type { InstallSnapshot } from './install-run-view.js';

/** Refusal codes an install ends with before any step ran, answered as `accepted: false`. */
const REFUSED = new Set(['rejected_by_user', 'permission_timeout', 'bridge_policy_denied']);

/** What only this request knows: whether it repeated a requestId and how long it was held. */
type Facts = Pick<InstallAccepted, 'duplicate' | 'held' | 'heldLimitReached'>;

/** The install as a reply to store: refused when nothing of it will run, else its job. */
export function installReplyOf(snapshot: InstallSnapshot): StoredInstallReply {
  const context = snapshot.context as ToolInstallContext;
  const failure = context.failure;
  if (failure && context.decisionId === null) {
    const code = failure.errorCode && REFUSED.has(failure.errorCode) ? failure.errorCode : failure.errorCode === 'unavailable' ? 'unavailable' : 'internal';
    return { refused: { code, message: failure.message, details: { runId: context.installId, ...(context.promptId ? { promptId: context.promptId } : {}) } } };
  }
  const job = installJob(context, snapshot.matches('failed') ? 'failed' : snapshot.matches('completed') ? 'completed' : context.startedAt !== null ? 'running' : 'queued');
  const accepted: Omit<InstallAccepted, keyof Facts> = {
    accepted: true,
    runId: context.installId,
    requestId: context.requestId,
    status: job.status,
    decision: decisionOf(context),
    ...(context.promptId ? { promptId: context.promptId } : {}),
    recoveryHint: job.recoveryHint,
    toolId: context.tool,
    variantId: context.variantId,
    packageManager: context.packageManager,
    steps: context.steps,
  };
  return { accepted };
}

/** The reply itself: throws the refusal, or answers the job with this request's facts. */
export function replyFrom(reply: StoredInstallReply, facts: Facts): InstallAccepted {
  if ('refused' in reply) throw new BridgeError(reply.refused.code as ErrorCode, reply.refused.message, { details: reply.refused.details });
  return { ...reply.accepted, ...facts };
}

function decisionOf(context: ToolInstallContext): JobDecision {
  const ids = { ...(context.promptId ? { promptId: context.promptId } : {}), ...(context.decisionId ? { decisionId: context.decisionId } : {}) };
  if (context.decisionId === null) return { source: 'pending', message: 'Waiting for the user to answer the install prompt.', ...ids };
  return { source: 'user', message: `Allowed by the user: the ${context.steps.length} step(s) shown in the prompt, and nothing else.`, ...ids };
}
