import type { Principal } from '../../contract/principal.js';
import type { JobContext } from '../../contract/routes/jobs.js';
import type { PromptDetails } from '../../contract/routes/permissions.js';
import type { Subjects } from '../../bus/subjects.js';

/**
 * The permission authority's bus API, shared by every capability that runs something on this
 * machine (command runs, tool installs, stdio MCP servers). The bridge, not the web app, decides.
 *
 * Protocol: subscribe to `outcome(subjectId)` first, then request `request`. The reply is final
 * (`allowed` by a rule, `denied` by policy) or `pending` with a prompt; a pending request's final
 * outcome arrives once on `outcome(subjectId)`.
 */
export const permissionSubjects = (subjects: Subjects) => ({
  request: subjects.internal('permissions.request'),
  outcome: (subjectId: string) => subjects.internal(`permissions.outcome.${subjectId}`),
  /** Withdraws a pending prompt (its run was terminated while waiting); idempotent. */
  cancel: subjects.internal('permissions.cancel'),
});

/** The fields a decision and a whitelist rule look at: as the web app wrote them, secrets unresolved. */
export interface CommandTemplate {
  command: string;
  args: string[];
  cwd?: string | null;
  /** Extension: shown in the prompt (template values); never matched by rules. */
  env?: Record<string, string>;
  /** Extension: shown in the prompt; never matched by rules. */
  stdin?: string;
}

export interface PermissionRequest {
  subjectKind: 'command' | 'install' | 'mcp_server';
  /** runId, installId or serverId: subject-safe. */
  subjectId: string;
  template: CommandTemplate;
  title: string;
  reason: string | null;
  requestedBy: Principal;
  /** False for installs: they always prompt and can never be whitelisted. */
  whitelistAllowed: boolean;
  /** Extension: `template.command` is a shell command line (default false); rules match it too. */
  shell?: boolean;
  /** Extension: facts shown in the prompt (an install's recipe, an MCP server's name). */
  details?: PromptDetails;
  /** Provenance of the request (skill, task), bounded and validated; stored with the decision, scopes rules. */
  context?: JobContext | null;
}

export type PermissionVerdict =
  | { outcome: 'allowed'; decidedBy: 'rule'; ruleId: string; decisionId: string }
  | { outcome: 'denied'; decidedBy: 'policy'; code: 'bridge_policy_denied'; policy: string; decisionId: string }
  | { outcome: 'pending'; promptId: string; expiresAt: string };

export type PermissionOutcome =
  | { outcome: 'allowed'; decidedBy: 'user'; decision: 'allow_once' | 'allow_and_whitelist'; ruleId: string | null; promptId: string; decisionId: string }
  | { outcome: 'rejected'; decidedBy: 'user' | 'timeout' | 'cancel'; code: 'rejected_by_user' | 'permission_timeout'; promptId: string; decisionId: string };

export interface PermissionCancel {
  promptId: string;
}

/*
 * Notes on the implementation (src/services/permissions/permission-service.ts):
 * - `request` is answered with a `BridgeError` `invalid_request` for a malformed request.
 * - A cancelled prompt publishes no outcome: the requester that withdrew it already knows.
 * - `cancel` may be requested (replies `{ cancelled: boolean }`) or just published.
 */
