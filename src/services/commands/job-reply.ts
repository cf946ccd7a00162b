import { BridgeError, type ErrorCode } from '../../contract/errors.js';
import type { ExecuteAccepted, RunSummary } from '../../contract/routes/commands.js';
import type { JobDecision, JobEvent } from '../../contract/routes/jobs.js';

/** How a reply came about: a repeated requestId, a request held for the decision, or the held cap. */
export interface ReplyFacts {
  duplicate: boolean;
  held: boolean;
  heldLimitReached: boolean;
}

/** Refusal codes a run can end with before it ever started; anything else refuses as `rejected_by_user`. */
const RUN_REFUSALS = new Set<ErrorCode>(['rejected_by_user', 'bridge_policy_denied', 'permission_timeout', 'rate_limited']);

/** Who allowed the run, as far as is known now. */
export function decisionOf(run: RunSummary): JobDecision {
  const ids = {
    ...(run.ruleId ? { ruleId: run.ruleId } : {}),
    ...(run.promptId ? { promptId: run.promptId } : {}),
    ...(run.decisionId ? { decisionId: run.decisionId } : {}),
  };
  if (run.state === 'awaiting_permission') {
    return { source: 'pending', message: run.promptId ? 'Waiting for the user to answer the permission prompt.' : 'The permission check is under way.', ...ids };
  }
  if (run.ruleId && !run.promptId) return { source: 'whitelist', message: `Allowed by whitelist rule ${run.ruleId}.`, ...ids };
  return { source: 'user', message: 'Allowed by the user.', ...ids };
}

/** The `accepted: true` reply for a run that was not refused. */
export function acceptedReply(run: RunSummary, facts: ReplyFacts): ExecuteAccepted {
  return {
    accepted: true,
    runId: run.runId,
    requestId: run.requestId,
    status: run.status,
    state: run.state,
    decision: decisionOf(run),
    ...(run.promptId ? { promptId: run.promptId } : {}),
    ...(run.ruleId ? { ruleId: run.ruleId } : {}),
    recoveryHint: run.recoveryHint,
    duplicate: facts.duplicate,
    held: facts.held,
    heldLimitReached: facts.heldLimitReached,
  };
}

/** The refusal of a run that ended `rejected` (the user, a prompt timeout, the policy, a full queue), or null. */
export function refusalOf(run: RunSummary): BridgeError | null {
  if (run.state !== 'rejected') return null;
  const code: ErrorCode = run.errorCode && RUN_REFUSALS.has(run.errorCode) ? run.errorCode : 'rejected_by_user';
  const details: Record<string, unknown> = {
    runId: run.runId,
    ...(run.requestId ? { requestId: run.requestId } : {}),
    ...(run.promptId ? { promptId: run.promptId } : {}),
    ...(run.decisionId ? { decisionId: run.decisionId } : {}),
    ...(code === 'rate_limited' ? { retryAfterMs: RETRY_AFTER_MS } : {}),
  };
  return new BridgeError(code, run.errorMessage ?? 'The command was refused.', { details });
}

/** What a full queue suggests as `retryAfterMs`. */
export const RETRY_AFTER_MS = 1_000;

/** A stored run as a `bridge.job.updated` event (for runs a previous bridge process left live). */
export function jobEventOfSummary(run: RunSummary): JobEvent {
  return {
    runId: run.runId,
    requestId: run.requestId,
    kind: run.kind,
    status: run.status,
    summary: { command: [run.template.command, ...run.template.args].join(' '), toolId: null },
    recoveryHint: run.recoveryHint,
    context: run.context,
    exitCode: run.exitCode,
    errorCode: run.errorCode,
  };
}
