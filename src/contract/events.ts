import { z } from 'zod';
import { errorCodeSchema } from './errors.js';
import { awakeLockSchema, awakeStateSchema } from './routes/awake.js';
import { bindStateSchema, runtimeSchema } from './routes/bridge.js';
import { outputChunkSchema, runSummarySchema } from './routes/commands.js';
import { resourceIdSchema } from './routes/common.js';
import { principalSchema } from './principal.js';
import { jobEventSchema } from './routes/jobs.js';
import { promptResolveResultFrameSchema } from './ws-messages.js';
import { pickerStateSchema, targetSchema } from './routes/filesystem.js';
import { mcpServerStateSchema, mcpServerViewSchema } from './routes/mcp.js';
import { mcpLogEntrySchema, serverRequestAudienceShape, serverRequestKindSchema, serverRequestStateSchema, serverRequestViewSchema } from './routes/mcp-protocol.js';
import { decisionSchema, permissionKindSchema, promptStateSchema, promptViewSchema, whitelistRuleSchema } from './routes/permissions.js';
import { knownToolSchema, recipeStepSchema, toolStatusSchema } from './routes/system.js';

/**
 * Every contract event: its type and the schema of its `data`: the 33 names fixed by the
 * foundation issue, plus the `bridge.job.*` pair of the web app's contract; payloads are one zod
 * schema each.
 */
export const EVENT_SCHEMAS = {
  'bridge.started': z.object({ bridgeId: z.string(), version: z.string(), port: z.number().int() }),
  'bridge.stopping': z.object({ bridgeId: z.string(), reason: z.string() }),
  'bridge.runtime.updated': runtimeSchema.extend({ bindState: bindStateSchema }),
  'session.created': z.object({ sessionId: z.string(), origin: z.string().nullable(), clientName: z.string().nullable(), expiresAt: z.iso.datetime() }),
  'session.refreshed': z.object({ sessionId: z.string(), expiresAt: z.iso.datetime() }),
  'session.expired': z.object({ sessionId: z.string() }),
  // CONTRACT-EVENTS: the remaining 27 event payloads are declared below this line.
  'mcp.server.registered': mcpServerViewSchema,
  'mcp.server.updated': mcpServerViewSchema,
  'mcp.server.removed': z.object({ serverId: resourceIdSchema, name: z.string(), origin: mcpServerViewSchema.shape.origin }),
  'mcp.server.state_changed': z.object({
    serverId: resourceIdSchema,
    name: z.string(),
    state: mcpServerStateSchema,
    previousState: mcpServerStateSchema,
    lastError: z.string().nullable(),
    lastErrorCode: errorCodeSchema.nullable(),
    promptId: resourceIdSchema.nullable(),
    authorizationUrl: z.string().nullable().describe('The consent page to open, when `state` is needs_auth.'),
  }),
  'mcp.server.capabilities_changed': z
    .object({
      serverId: resourceIdSchema,
      changed: z.array(z.enum(['tools', 'resources', 'prompts'])),
      toolsCount: z.number().int(),
      resourcesCount: z.number().int(),
      promptsCount: z.number().int(),
    })
    .describe('After (re)connecting or a list-changed notification; fetch the capabilities route for the lists.'),
  'mcp.call.completed': z
    .object({
      serverId: resourceIdSchema,
      tool: z.string(),
      durationMs: z.number().int(),
      ok: z.boolean().describe('False for a tool error (`isError`) and for a bridge-side failure.'),
      errorCode: errorCodeSchema.nullable().describe('Bridge-side failure, e.g. mcp_timeout; null for a tool result.'),
      callId: resourceIdSchema,
      outputSchema: z.enum(['valid', 'invalid', 'not_declared', 'not_checked']).nullable().describe('As in the reply\'s `bridge`; null when there was no result.'),
      requestedBy: principalSchema.describe('Who called; only that origin (and the local UI) gets this event.'),
    })
    .describe('Never carries the call\'s arguments or result.'),
  'mcp.call.progress': z
    .object({
      serverId: resourceIdSchema,
      callId: resourceIdSchema,
      tool: z.string(),
      progress: z.number(),
      total: z.number().nullable(),
      message: z.string().nullable().describe('The server\'s progress message, cut at 1,000 characters.'),
      requestedBy: principalSchema.describe('Who called; only that origin (and the local UI) gets this event.'),
    })
    .describe('A `notifications/progress` of a call in flight, keyed by the call\'s `callId`.'),
  'mcp.resource.updated': z.object({ serverId: resourceIdSchema, uri: z.string() }).describe('A subscribed resource changed; read it again.'),
  'mcp.server.log': mcpLogEntrySchema.describe('A `notifications/message` of the server, its `data` bounded.'),
  'mcp.server_request.created': serverRequestViewSchema.describe('A server asks for elicitation, sampling or roots; answer with `POST /api/v1/mcp/server-requests/:requestId/respond`.'),
  'mcp.server_request.resolved': z.object({
    requestId: resourceIdSchema,
    serverId: resourceIdSchema,
    kind: serverRequestKindSchema,
    state: serverRequestStateSchema,
    ...serverRequestAudienceShape,
  }),
  'awake.acquired': awakeLockSchema,
  'awake.released': z.object({ lockId: resourceIdSchema, cause: z.enum(['released', 'expired', 'run_ended', 'bridge_stopping']) }),
  'awake.state_changed': awakeStateSchema,
  'filesystem.selected': z
    .object({
      pickerId: resourceIdSchema,
      kind: z.enum(['file', 'directory']),
      outcome: pickerStateSchema.exclude(['pending']),
      targets: z.array(targetSchema),
      requestedBy: principalSchema.describe('Who asked for the picker; only that origin (and the local UI) gets this event.'),
    })
    .describe('A picker ended: selected (its paths are now targets), cancelled or timed_out.'),
  'filesystem.written': z.object({
    path: z.string(),
    targetId: resourceIdSchema,
    bytesWritten: z.number().int(),
    created: z.boolean(),
    requestedBy: principalSchema.describe('Who wrote; only that origin (and the local UI) gets this event.'),
  }),
  'system.tools.inventory_updated': z.object({ tools: z.array(knownToolSchema), cause: z.enum(['install', 'refresh']) }),
  'system.tool.install_started': z
    .object({ installId: resourceIdSchema, tool: z.string(), variantId: z.string(), packageManager: z.string(), steps: z.array(recipeStepSchema) })
    .describe('The user allowed the install and its first step started.'),
  'system.tool.install_output': z.object({
    installId: resourceIdSchema,
    step: z.number().int().min(0).describe('Index in `steps`.'),
    stream: z.enum(['stdout', 'stderr']),
    offset: z.number().int().min(0).describe('Byte offset in this step\'s stream before this chunk.'),
    bytes: z.number().int().min(0),
    chunk: z.string(),
  }),
  'system.tool.install_completed': z.object({ installId: resourceIdSchema, durationMs: z.number().int(), tool: toolStatusSchema.describe('The tool as located after the install.') }),
  'system.tool.install_failed': z.object({
    installId: resourceIdSchema,
    tool: z.string(),
    state: z.enum(['failed', 'rejected', 'timed_out', 'terminated', 'interrupted']),
    errorCode: errorCodeSchema.nullable().describe('rejected_by_user or permission_timeout for a rejected install.'),
    message: z.string(),
    step: z.number().int().nullable().describe('The step that failed; null when none ran.'),
    exitCode: z.number().int().nullable(),
    signal: z.string().nullable(),
  }),
  // Jobs as the web app follows them: one `created` per execute or install job, one `updated` per
  // change of its job status (queued → running → completed | failed | terminated).
  'bridge.job.created': jobEventSchema.describe('A job (command or install) was created; `status` is usually `queued`.'),
  'bridge.job.updated': jobEventSchema.describe('A job changed status (queued → running, or ended).'),
  // A run's lifecycle events carry the run as listed, so clients upsert one shape. started: the
  // process started; completed: exit code 0; failed: failed, timed_out, rejected or interrupted
  // (`state` and `errorCode` say which); terminated: stopped through the terminate route.
  'system.command.started': runSummarySchema,
  'system.command.stdout': outputChunkSchema,
  'system.command.stderr': outputChunkSchema,
  'system.command.completed': runSummarySchema,
  'system.command.failed': runSummarySchema,
  'system.command.terminated': runSummarySchema,
  'permission.prompt.created': promptViewSchema,
  'permission.prompt.resolved': z.object({
    promptId: resourceIdSchema,
    kind: permissionKindSchema,
    state: promptStateSchema.describe('allowed_once, allowed_and_whitelisted, rejected or cancelled.'),
    decisionId: resourceIdSchema.nullable().describe('Null for a cancelled prompt: nobody decided.'),
    ruleId: resourceIdSchema.nullable(),
  }),
  'permission.prompt.expired': z.object({ promptId: resourceIdSchema, kind: permissionKindSchema, decisionId: resourceIdSchema }),
  'permission.whitelist.updated': z.object({ change: z.enum(['created', 'used', 'deleted']), rule: whitelistRuleSchema }),
  'permission.decision.recorded': decisionSchema,
} as const;

export type EventType = keyof typeof EVENT_SCHEMAS;
export const EVENT_TYPES = Object.keys(EVENT_SCHEMAS) as EventType[];
export type EventData<T extends EventType> = z.infer<(typeof EVENT_SCHEMAS)[T]>;

/** A frame on `/ws/v1/events`: `seq` strictly increases per bridge process. */
export const eventEnvelopeSchema = z.object({
  seq: z.number().int().positive(),
  type: z.string(),
  ts: z.iso.datetime(),
  data: z.unknown(),
});
/**
 * Who an event belongs to (absent: everyone): the origin that asked for the run, prompt, rule,
 * job or session it is about, or only the local UI. Sockets of other origins never receive it.
 */
export type EventAudience = { origin: string | null } | { uiOnly: true };
export type EventEnvelope<T extends EventType = EventType> = { seq: number; type: T; ts: string; data: EventData<T>; audience?: EventAudience };

/** Control frames the socket sends besides events. */
export const controlFrameSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('replay_gap'), requestedSince: z.number().int(), oldestAvailable: z.number().int(), message: z.string() }),
  z.object({ type: z.literal('ready'), lastSeq: z.number().int(), replayed: z.number().int() }),
  promptResolveResultFrameSchema,
]);
export type ControlFrame = z.infer<typeof controlFrameSchema>;
