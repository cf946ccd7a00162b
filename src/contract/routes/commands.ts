import { z } from 'zod';
import { DEFAULT_COMMAND_TIMEOUT_MS, DEFAULT_OUTPUT_BUFFER_BYTES } from '../constants.js';
import { errorCodeSchema } from '../errors.js';
import { principalSchema } from '../principal.js';
import { defineRoute } from '../route.js';
import { cursorSchema, envSchema, idParams, noNulString, queryList, resourceIdSchema } from './common.js';
import { commandMismatches, type CommandFields } from '../template-instance.js';

/** Longest `waitMs` a run-details request may long-poll. */
export const RUN_WAIT_MAX_MS = 120_000;
/** Added to a long-poll's `waitMs` to get the HTTP layer's bus reply timeout. */
export const LONG_POLL_MARGIN_MS = 5_000;
/** Default and largest page of buffered output returned per stream. */
export const RUN_OUTPUT_PAGE_DEFAULT_BYTES = 1024 * 1024;
export const RUN_OUTPUT_PAGE_MAX_BYTES = DEFAULT_OUTPUT_BUFFER_BYTES;

export const RUN_STATES = [
  'awaiting_permission',
  'starting',
  'running',
  'completed',
  'failed',
  'terminated',
  'timed_out',
  'rejected',
  'interrupted',
] as const;
export const FINAL_RUN_STATES = ['completed', 'failed', 'terminated', 'timed_out', 'rejected', 'interrupted'] as const;

export const runStateSchema = z.enum(RUN_STATES).describe(
  'completed: exited with code 0. failed: non-zero exit, killed by a foreign signal, or could not start. ' +
    'terminated: stopped through the terminate route. timed_out: killed at `timeoutMs`. ' +
    'rejected: refused by the user, a prompt timeout or the bridge policy (`errorCode` says which). ' +
    'interrupted: was live when the bridge stopped.',
);
export type RunState = z.infer<typeof runStateSchema>;

/**
 * The fields of a command that may hold a secret. The web app sends them twice: resolved (what
 * runs) and as `template` (before it replaced its `__OSL_SECRET[...]__` placeholders). Only the
 * template is ever shown, logged, persisted or matched against whitelist rules.
 */
export const commandTemplateSchema = z.strictObject({
  command: noNulString.min(1).max(4096).describe('Executable name or path, resolved on the login-shell PATH; a shell command line when `shell` is true.'),
  args: z.array(noNulString).max(4096).default([]),
  cwd: noNulString.min(1).max(4096).optional().describe('Working directory; the user\'s home when omitted.'),
  env: envSchema.optional(),
  stdin: z.string().optional().describe('Written to the child\'s stdin, which is then closed.'),
});
export type CommandTemplate = z.infer<typeof commandTemplateSchema>;

/**
 * The prompt shows the template, so the resolved command must be an instance of it
 * (`src/contract/template-instance.ts`): every literal part equal, only `__OSL_SECRET[...]__`
 * spans may differ. Checked for command, args, cwd, env and stdin before any rule, prompt or spawn.
 */
export function checkTemplateMatches(
  body: CommandFields & { template: CommandFields },
  ctx: z.RefinementCtx,
): void {
  for (const mismatch of commandMismatches(body, body.template)) {
    ctx.addIssue({ code: 'custom', path: ['template', ...mismatch.path], message: mismatch.message });
  }
}

/** The execute body's fields, unrefined, so that internal callers can extend them. */
export const executeFieldsSchema = commandTemplateSchema.extend({
  shell: z.boolean().default(false).describe('Run `command` through the user\'s shell. Off by default: arguments go to the executable unparsed.'),
  timeoutMs: z.number().int().positive().default(DEFAULT_COMMAND_TIMEOUT_MS).describe('Kill the process tree after this long. No maximum.'),
  keepAwake: z.boolean().default(false).describe('Hold an awake lock for exactly the run\'s lifetime.'),
  template: commandTemplateSchema.describe('The same fields before secret resolution; what the user sees and what rules match.'),
  title: z.string().min(1).max(200).describe('Short human title shown in the prompt and the runs list.'),
  reason: z.string().min(1).max(2000).describe('Why the agent wants to run this; shown in the prompt.'),
});

export const executeBodySchema = executeFieldsSchema.superRefine((body, ctx) => checkTemplateMatches(body, ctx));

export const execute = defineRoute({
  id: 'system.commands.execute',
  method: 'POST',
  path: '/api/v1/system/commands/execute',
  auth: 'session_or_ui',
  summary: 'Execute a system command',
  refusals: 'accepted',
  preferAsync: true,
  body: executeBodySchema,
  reply: z.object({
    runId: resourceIdSchema,
    state: runStateSchema.describe(
      'State once the run left `starting`: `awaiting_permission` (see `promptId`) or `running`; a very short run may already be final.',
    ),
    promptId: resourceIdSchema.optional().describe('Set when `state` is `awaiting_permission`; resolve it at /system/permissions/prompts/:requestId/resolve.'),
    ruleId: resourceIdSchema.optional().describe('Set when a whitelist rule allowed the run without a prompt.'),
  }),
  successStatus: 202,
});

/** A run as listed: template fields only, never resolved values. */
/** What a run is for: a command of the web app, or a step of a tool install (which always prompts). */
export const runKindSchema = z.enum(['command', 'install']);
export type RunKind = z.infer<typeof runKindSchema>;

export const runSummarySchema = z.object({
  runId: resourceIdSchema,
  kind: runKindSchema,
  state: runStateSchema,
  title: z.string(),
  reason: z.string(),
  template: commandTemplateSchema,
  shell: z.boolean(),
  timeoutMs: z.number().int(),
  keepAwake: z.boolean(),
  requestedBy: principalSchema.describe('Who asked for the run.'),
  promptId: resourceIdSchema.nullable().describe('The prompt that decided the run, if one did.'),
  ruleId: resourceIdSchema.nullable().describe('The whitelist rule that allowed the run, if one did.'),
  decisionId: resourceIdSchema.nullable().describe('The recorded permission decision that allowed or rejected the run.'),
  awakeLock: z
    .object({
      lockId: resourceIdSchema.nullable().describe('The awake lock held while the run lived; null when none could be taken.'),
      note: z.string().nullable().describe('Why no lock was held, e.g. no awake service answered.'),
    })
    .nullable()
    .describe('Null unless the run asked for `keepAwake`.'),
  pid: z.number().int().nullable(),
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable().describe('Signal that ended the process, e.g. `SIGKILL`.'),
  errorCode: errorCodeSchema.nullable().describe('Why a run was rejected: `rejected_by_user`, `permission_timeout` or `bridge_policy_denied`.'),
  errorMessage: z.string().nullable(),
  createdAt: z.iso.datetime(),
  startedAt: z.iso.datetime().nullable(),
  endedAt: z.iso.datetime().nullable(),
  durationMs: z.number().int().nullable().describe('From process start to exit.'),
  partialOutput: z.boolean().describe('A stream outgrew its buffer: events carried everything, the buffer holds only its first bytes.'),
  stdoutBytes: z.number().int().describe('Bytes the process wrote to stdout in all, buffered or not.'),
  stderrBytes: z.number().int(),
});
export type RunSummary = z.infer<typeof runSummarySchema>;

export const runsList = defineRoute({
  id: 'system.commands.runs.list',
  method: 'GET',
  path: '/api/v1/system/commands/runs',
  auth: 'session_or_ui',
  summary: 'List command runs',
  query: z.strictObject({
    state: queryList(runStateSchema).optional().describe('Only runs in these states (comma-separated or repeated).'),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: cursorSchema.optional(),
  }),
  reply: z.object({
    runs: z.array(runSummarySchema).describe('Newest first.'),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page.'),
  }),
});

/** A page of one buffered output stream. */
export const outputSliceSchema = z.object({
  offset: z.number().int().describe('Byte offset of `data` in the stream.'),
  data: z.string().describe('UTF-8 text of the bytes from `offset` to `nextOffset`.'),
  nextOffset: z.number().int().describe('Offset to ask for next; never splits a UTF-8 character.'),
  bufferedBytes: z.number().int().describe('Bytes held in the buffer (the first bytes of the stream).'),
  totalBytes: z.number().int().describe('Bytes the stream produced; more than `bufferedBytes` when output is partial.'),
  ended: z.boolean().describe('The stream is closed and `nextOffset` reached `bufferedBytes`: nothing more to page.'),
});

export const runDetailsSchema = runSummarySchema.extend({
  stdout: outputSliceSchema.nullable().describe('Null when `stream=stderr`.'),
  stderr: outputSliceSchema.nullable().describe('Null when `stream=stdout`.'),
  interleaving: z
    .array(z.object({ stream: z.enum(['stdout', 'stderr']), offset: z.number().int(), bytes: z.number().int() }))
    .nullable()
    .describe(
      'The order the process wrote its buffered output in: consecutive byte ranges of either stream, oldest first, so that a client can rebuild the true interleaving of stdout and stderr. Null when the output is no longer held (after a restart, or evicted) or was too fragmented to keep its order.',
    ),
});
export type RunDetails = z.infer<typeof runDetailsSchema>;

export const runsGet = defineRoute({
  id: 'system.commands.runs.get',
  method: 'GET',
  path: '/api/v1/system/commands/runs/:runId',
  auth: 'session_or_ui',
  summary: 'Get run details (stdout/stderr)',
  params: idParams('runId', 'The run.'),
  query: z.strictObject({
    stream: z.enum(['both', 'stdout', 'stderr']).default('both'),
    offset: z.coerce.number().int().min(0).default(0).describe('Byte offset to read from, in each stream returned.'),
    limit: z.coerce.number().int().min(1).max(RUN_OUTPUT_PAGE_MAX_BYTES).default(RUN_OUTPUT_PAGE_DEFAULT_BYTES).describe('Most bytes returned per stream.'),
    waitMs: z.coerce.number().int().min(0).max(RUN_WAIT_MAX_MS).default(0).describe('Long-poll: wait up to this long for the run to reach a final state before replying.'),
  }),
  reply: runDetailsSchema,
  replyTimeoutMs: ({ query }) => query.waitMs + LONG_POLL_MARGIN_MS,
});

export const runsTerminate = defineRoute({
  id: 'system.commands.runs.terminate',
  method: 'POST',
  path: '/api/v1/system/commands/runs/:runId/terminate',
  auth: 'session_or_ui',
  summary: 'Terminate a running command',
  params: idParams('runId', 'The run.'),
  reply: z.object({
    runId: resourceIdSchema,
    state: runStateSchema.describe('`terminated` once the process tree is gone. Idempotent for a terminated run; 409 for another final state.'),
  }),
});

/** One live chunk of a run's stdout or stderr, as streamed in `system.command.stdout|stderr`. */
export const outputChunkSchema = z.object({
  runId: resourceIdSchema,
  offset: z.number().int().min(0).describe('Byte offset in the stream before this chunk; equals the previous chunk\'s offset + bytes, so a gap shows.'),
  bytes: z.number().int().min(0).describe('How many bytes of the stream this chunk carries.'),
  chunk: z.string().describe('Those bytes decoded as UTF-8 (a character split across reads is carried whole by the later chunk).'),
});
