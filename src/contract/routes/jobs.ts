import { z } from 'zod';
import { errorBodySchema, errorCodeSchema, type ErrorCode } from '../errors.js';
import { resourceIdSchema } from './common.js';

/*
 * Jobs: what the web app calls every execute and every install. A job is known by the bridge's
 * `runId` and by the app's own `requestId`; the app follows it through `bridge.job.*` events and
 * decides from `recoveryHint` whether anything ran. Execute and install share these shapes.
 */

/** What a job is: a command of the web app, or a tool install (which always prompts). */
export const jobKindSchema = z.enum(['command', 'install']);
export type JobKind = z.infer<typeof jobKindSchema>;

/**
 * The five states the web app follows. Our richer run states map onto them with `jobStatusOf`:
 * waiting for a decision or a free slot is `queued`; rejected, timed out and interrupted are
 * `failed` (with `recoveryHint` and the run's `errorCode` saying why).
 */
export const JOB_STATUSES = ['queued', 'running', 'completed', 'failed', 'terminated'] as const;
export const jobStatusSchema = z.enum(JOB_STATUSES);
export type JobStatus = z.infer<typeof jobStatusSchema>;

/** Run states as `commands.ts` spells them; repeated here so this file depends on nothing else. */
type AnyRunState =
  | 'awaiting_permission'
  | 'queued'
  | 'starting'
  | 'running'
  | 'completed'
  | 'failed'
  | 'terminated'
  | 'timed_out'
  | 'rejected'
  | 'interrupted';

/** A run's state as the web app's job status. `starting` is still `queued`: no process exists yet. */
export function jobStatusOf(state: AnyRunState): JobStatus {
  switch (state) {
    case 'awaiting_permission':
    case 'queued':
    case 'starting':
      return 'queued';
    case 'running':
    case 'completed':
    case 'terminated':
      return state;
    case 'failed':
    case 'timed_out':
    case 'rejected':
    case 'interrupted':
      return 'failed';
  }
}

/**
 * Whether anything may have run, for a job that ended abnormally. `bridge_restart`: its process
 * was live when the bridge stopped or died. `timeout`: killed at its `timeoutMs`. `spawn_failure`:
 * it never started, so nothing ran (could not spawn, or queued when the bridge stopped).
 * `null`: no hint (it completed, failed on its own, was terminated or refused, or is not over).
 */
export const recoveryHintSchema = z
  .enum(['bridge_restart', 'timeout', 'spawn_failure'])
  .nullable()
  .describe('bridge_restart: live when the bridge went away. timeout: killed at its limit. spawn_failure: never started, nothing ran. null: no hint.');
export type RecoveryHint = z.infer<typeof recoveryHintSchema>;

/** The web app's own id for a request (e.g. `req-abc-123`): printable ASCII, no spaces. */
export const requestIdSchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,128}$/, 'must be 1-128 printable ASCII characters without spaces')
  .describe('The web app\'s id for this request. The same `requestId` from the same origin returns the first job and starts nothing new.');

/**
 * One provenance field: short, and free of control, format (bidi, zero-width) and separator
 * characters, because it is shown in prompts and notifications and a hostile session writes it.
 */
const contextField = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}]*$/u, 'must not contain control, format or separator characters')
  .nullish();

/** Provenance: which skill and task of the web app asked. Stored with the run and its decision. */
export const jobContextSchema = z
  .strictObject({
    source: contextField.describe('What in the web app asked, e.g. "skill".'),
    skillId: contextField,
    taskId: contextField,
    runId: contextField.describe('The web app\'s run, not the bridge\'s.'),
  })
  .describe('Provenance of the request; shown in the prompt and the audit, and scopes whitelist rules.');
export type JobContextInput = z.input<typeof jobContextSchema>;

/** Provenance as stored and announced: every field present, absent ones null. */
export const storedJobContextSchema = z.object({
  source: z.string().nullable(),
  skillId: z.string().nullable(),
  taskId: z.string().nullable(),
  runId: z.string().nullable(),
});
export type JobContext = z.infer<typeof storedJobContextSchema>;

/** A request's `context`, normalised for storage: absent stays null, absent fields become null. */
export function normaliseJobContext(context: JobContextInput | undefined | null): JobContext | null {
  if (!context) return null;
  return { source: context.source ?? null, skillId: context.skillId ?? null, taskId: context.taskId ?? null, runId: context.runId ?? null };
}

/** Who allowed a job: an existing whitelist rule, or the user in a prompt; `pending` while the prompt waits. */
export const decisionSourceSchema = z.enum(['whitelist', 'user', 'pending']);
export type DecisionSource = z.infer<typeof decisionSourceSchema>;

export const jobDecisionSchema = z.object({
  source: decisionSourceSchema.describe('whitelist: a rule allowed it without a prompt. user: the user allowed the prompt. pending: the prompt still waits (`Prefer: respond-async`, or the held-request cap was reached).'),
  message: z.string().describe('A sentence for the user, e.g. "Allowed by the whitelist rule w_…".'),
  ruleId: resourceIdSchema.optional(),
  promptId: resourceIdSchema.optional(),
  decisionId: resourceIdSchema.optional(),
});
export type JobDecision = z.infer<typeof jobDecisionSchema>;

/** The `accepted: true` reply of execute and install. Routes extend it with their own fields. */
export const jobAcceptedSchema = z.object({
  accepted: z.literal(true),
  runId: resourceIdSchema.describe('The bridge\'s id of the job.'),
  requestId: requestIdSchema.nullable().describe('The web app\'s id, as sent; null when none was.'),
  status: jobStatusSchema,
  decision: jobDecisionSchema,
  promptId: resourceIdSchema.optional().describe('The prompt that decided or still decides the job.'),
  recoveryHint: recoveryHintSchema,
  duplicate: z.boolean().describe('True when `requestId` was seen before: this is the first request\'s job and nothing new started.'),
  held: z
    .boolean()
    .describe('True when the request was held until the decision; false when it answered at once (`Prefer: respond-async`, or the held-request cap).'),
  heldLimitReached: z.boolean().describe('True when the request wanted to be held but the session already had its cap of held requests.'),
});
export type JobAccepted = z.infer<typeof jobAcceptedSchema>;

/**
 * Error codes that are a refusal of the job, answered in the `accepted: false` shape (with the
 * registry's HTTP status, and the usual `error` body beside it).
 */
export const REFUSAL_CODES = ['rejected_by_user', 'bridge_policy_denied', 'invalid_request', 'permission_timeout', 'rate_limited'] as const satisfies readonly ErrorCode[];

/** The `accepted: false` reply of execute and install: every error of those routes has this shape. */
export const jobRefusedSchema = z
  .object({
    accepted: z.literal(false),
    reason: z.object({
      code: errorCodeSchema.describe('rejected_by_user, bridge_policy_denied, invalid_request, permission_timeout or rate_limited for a refusal; another registry code for other errors.'),
      message: z.string(),
    }),
    error: errorBodySchema.shape.error,
  })
  .describe('A refused job: the web app reads `accepted` and `reason`; `error` is the usual error body.');
export type JobRefused = z.infer<typeof jobRefusedSchema>;

/** What `bridge.job.*` events and run summaries say a job is about. */
export const jobSummarySchema = z.object({
  command: z.string().nullable().describe('The command as its template reads (never resolved values); for an install, its first step.'),
  toolId: z.string().nullable().describe('The catalogue id of an install; null for a command.'),
});

/** The data of `bridge.job.created` and `bridge.job.updated`. */
export const jobEventSchema = z.object({
  runId: resourceIdSchema,
  requestId: z.string().nullable(),
  kind: jobKindSchema,
  status: jobStatusSchema,
  summary: jobSummarySchema,
  recoveryHint: recoveryHintSchema,
  context: storedJobContextSchema.nullable(),
  exitCode: z.number().int().nullable().describe('Set once the process exited.'),
  errorCode: errorCodeSchema.nullable().describe('Why a failed job failed, when a registry code says it (rejected_by_user, permission_timeout…).'),
});
export type JobEvent = z.infer<typeof jobEventSchema>;
