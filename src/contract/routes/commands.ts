import { z } from 'zod';
import { DEFAULT_COMMAND_TIMEOUT_MS, DEFAULT_OUTPUT_BUFFER_BYTES } from '../constants.js';
import { errorCodeSchema } from '../errors.js';
import { principalSchema } from '../principal.js';
import { defineRoute } from '../route.js';
import { cursorSchema, envSchema, idParams, noNulString, queryList, resourceIdSchema } from './common.js';
import { commandMismatches, type CommandFields } from '../template-instance.js';
import {
  jobAcceptedSchema,
  jobKindSchema,
  jobContextSchema,
  jobStatusSchema,
  recoveryHintSchema,
  requestIdSchema,
  storedJobContextSchema,
} from './jobs.js';

/** Longest `waitMs` a run-details request may long-poll. */
export const RUN_WAIT_MAX_MS = 120_000;
/** Added to a long-poll's `waitMs` to get the HTTP layer's bus reply timeout. */
export const LONG_POLL_MARGIN_MS = 5_000;
/** Default and largest page of buffered output returned per stream. */
export const RUN_OUTPUT_PAGE_DEFAULT_BYTES = 1024 * 1024;
export const RUN_OUTPUT_PAGE_MAX_BYTES = DEFAULT_OUTPUT_BUFFER_BYTES;

/**
 * Longest time execute holds a request for the user's decision (never longer than the prompt
 * timeout either); past it, the reply says the decision is still `pending`.
 */
export const EXECUTE_HOLD_MAX_MS = 10 * 60_000;

export const RUN_STATES = [
  'awaiting_permission',
  'queued',
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
    'queued: allowed, waiting for a free slot under `maxConcurrentRuns` (FIFO). ' +
    'rejected: refused by the user, a prompt timeout, the bridge policy or a full queue (`errorCode` says which). ' +
    'interrupted: was live when the bridge stopped.',
);
export type RunState = z.infer<typeof runStateSchema>;

/**
 * The fields of a command that may hold a secret. The web app sends them twice: resolved (what
 * runs) and as `template` (before it replaced its `__OSL_SECRET[...]__` placeholders). Only the
 * template is ever shown, logged, persisted or matched against whitelist rules.
 */
/** A command's arguments: the template's, the resolved ones, and their `…Template` twins alike. */
const commandArgs = z.array(noNulString).max(4096);

export const commandTemplateSchema = z.strictObject({
  command: noNulString.min(1).max(4096).describe('Executable name or path, resolved on the login-shell PATH; a shell command line when `shell` is true.'),
  args: commandArgs.default([]),
  cwd: noNulString.min(1).max(4096).optional().describe('Working directory; the user\'s home when omitted.'),
  env: envSchema.optional(),
  stdin: z.string().optional().describe('Written to the child\'s stdin, which is then closed.'),
});
export type CommandTemplate = z.infer<typeof commandTemplateSchema>;

/**
 * A template as the bridge stores and shows it (runs, prompts): parsed once from the request, so
 * `args` is always there. Without the request's default, a reply holding it is checked by zod's
 * compiled parse rather than an encode (docs/performance.md, round 14).
 */
export const storedTemplateSchema = commandTemplateSchema.extend({ args: commandArgs });

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

const commandText = noNulString.min(1).max(4096);
const workingDirectory = noNulString.min(1).max(4096).nullable();

/**
 * The execute body's fields in the web app's flat shape, unrefined, so that internal callers can
 * extend them. Every field that may hold a secret comes resolved (what runs) and, optionally, as
 * its `…Template` twin (before the web app replaced its `__OSL_SECRET[...]__` placeholders); a
 * missing twin means "the same as resolved". Only the template side is shown, stored or matched.
 */
export const executeFieldsSchema = z.strictObject({
  command: commandText.describe('Resolved executable name or path, looked up on the login-shell PATH; a shell command line when `shell` is true.'),
  args: commandArgs.default([]).describe('Resolved arguments.'),
  commandTemplate: commandText.optional().describe('`command` before secret resolution; what the prompt shows and rules match. Defaults to `command`.'),
  argsTemplate: commandArgs.optional().describe('`args` before secret resolution. Defaults to `args`.'),
  workingDirectory: workingDirectory.optional().describe('Resolved working directory; null or absent is the user\'s home.'),
  workingDirectoryTemplate: workingDirectory.optional().describe('`workingDirectory` before secret resolution.'),
  env: envSchema.optional().describe('Resolved variables added to the inherited environment.'),
  envTemplate: envSchema.optional().describe('`env` before secret resolution, with exactly the same names.'),
  stdin: z.string().optional().describe('Extension: resolved text written to the child\'s stdin, which is then closed.'),
  stdinTemplate: z.string().optional().describe('Extension: `stdin` before secret resolution.'),
  reason: z.string().min(1).max(2000).optional().describe('Why the agent wants to run this; shown to the user.'),
  requestId: requestIdSchema.optional(),
  timeoutMs: z.number().int().positive().default(DEFAULT_COMMAND_TIMEOUT_MS).describe('Kill the process tree after this long (default 300000). No maximum.'),
  context: jobContextSchema.optional(),
  shell: z.boolean().default(false).describe('Extension: run `command` through the user\'s shell. Off by default: arguments go to the executable unparsed.'),
  keepAwake: z.boolean().default(false).describe('Extension: hold an awake lock for exactly the run\'s lifetime.'),
  title: z.string().min(1).max(200).optional().describe('Extension: short title for the prompt and the runs list; derived from `reason` or the command when absent.'),
});
export type ExecuteFields = z.output<typeof executeFieldsSchema>;

/** An execute request split into what is shown (template) and what runs (resolved). */
export interface CommandPair {
  template: CommandTemplate;
  resolved: { command: string; args: string[]; cwd?: string; env?: Record<string, string>; stdin?: string };
}

/** The flat fields as the internal `{ template, resolved }` pair; a missing twin copies its resolved value. */
export function commandPairOf(body: Pick<ExecuteFields, 'command' | 'args' | 'commandTemplate' | 'argsTemplate' | 'workingDirectory' | 'workingDirectoryTemplate' | 'env' | 'envTemplate' | 'stdin' | 'stdinTemplate'>): CommandPair {
  const cwd = body.workingDirectory ?? undefined;
  // An explicit null template for a present directory stays "absent", and the instance check refuses it.
  const cwdTemplate = body.workingDirectoryTemplate === undefined ? cwd : (body.workingDirectoryTemplate ?? undefined);
  const envTemplate = body.envTemplate ?? body.env;
  const stdinTemplate = body.stdinTemplate ?? body.stdin;
  return {
    template: {
      command: body.commandTemplate ?? body.command,
      args: body.argsTemplate ?? body.args,
      ...(cwdTemplate !== undefined ? { cwd: cwdTemplate } : {}),
      ...(envTemplate !== undefined ? { env: envTemplate } : {}),
      ...(stdinTemplate !== undefined ? { stdin: stdinTemplate } : {}),
    },
    resolved: {
      command: body.command,
      args: body.args,
      ...(cwd !== undefined ? { cwd } : {}),
      ...(body.env !== undefined ? { env: body.env } : {}),
      ...(body.stdin !== undefined ? { stdin: body.stdin } : {}),
    },
  };
}

/**
 * The one place an execute request's resolved values are checked against their templates (the
 * template-instance matcher of `src/contract/template-instance.ts`), before any rule, prompt or
 * spawn. Issues name the flat field (`argsTemplate[2]`), never a value.
 */
export function checkExecuteIsInstance(body: Parameters<typeof commandPairOf>[0], ctx: z.RefinementCtx): void {
  const { template, resolved } = commandPairOf(body);
  const twin: Record<string, string> = { command: 'commandTemplate', args: 'argsTemplate', cwd: 'workingDirectoryTemplate', env: 'envTemplate', stdin: 'stdinTemplate' };
  for (const mismatch of commandMismatches(resolved, template)) {
    const [field, ...rest] = mismatch.path;
    const message = mismatch.message.replace(/^cwd\b/, 'workingDirectory');
    ctx.addIssue({ code: 'custom', path: [twin[String(field)] ?? String(field), ...rest], message });
  }
}

/** A short title: the given one, else the first line of the reason, else the command as its template reads. */
export function runTitleOf(body: { title?: string | undefined; reason?: string | undefined }, template: CommandTemplate): string {
  const clip = (text: string) => (text.length > 200 ? `${text.slice(0, 199)}…` : text);
  if (body.title) return body.title;
  const reasonLine = body.reason?.split('\n').find((line) => line.trim() !== '')?.trim();
  if (reasonLine) return clip(reasonLine);
  return clip(`Run ${[template.command, ...template.args].join(' ')}`);
}

export const executeBodySchema = executeFieldsSchema.superRefine((body, ctx) => checkExecuteIsInstance(body, ctx));

/** The reply of an accepted execute: the job (web-app shape) plus our run state. */
export const executeAcceptedSchema = jobAcceptedSchema.extend({
  state: runStateSchema.describe(
    'Extension: the run\'s own state: `awaiting_permission` (decision pending), `queued`, `running`, or already final for a very short run.',
  ),
  ruleId: resourceIdSchema.optional().describe('Set when a whitelist rule allowed the run without a prompt.'),
});
export type ExecuteAccepted = z.infer<typeof executeAcceptedSchema>;

export const execute = defineRoute({
  id: 'system.commands.execute',
  method: 'POST',
  path: '/api/v1/system/commands/execute',
  auth: 'session_or_ui',
  summary: 'Execute a system command',
  refusals: 'accepted',
  preferAsync: true,
  body: executeBodySchema,
  reply: executeAcceptedSchema,
  successStatus: 202,
  replyTimeoutMs: () => EXECUTE_HOLD_MAX_MS + LONG_POLL_MARGIN_MS,
});

/** A run as listed: template fields only, never resolved values. */
/** What a run is for: a command of the web app, or a step of a tool install (which always prompts). */
export const runKindSchema = jobKindSchema;
export type RunKind = z.infer<typeof runKindSchema>;

export const runSummarySchema = z.object({
  runId: resourceIdSchema,
  kind: runKindSchema,
  state: runStateSchema,
  status: jobStatusSchema.describe('The job status the web app follows, derived from `state`.'),
  requestId: z.string().nullable().describe('The web app\'s `requestId`, as sent.'),
  context: storedJobContextSchema.nullable().describe('Provenance, as sent (bounded and validated).'),
  recoveryHint: recoveryHintSchema,
  title: z.string(),
  reason: z.string().nullable().describe('Why, as the agent said; null when it gave no reason.'),
  template: storedTemplateSchema,
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
  errorCode: errorCodeSchema.nullable().describe('Why a run was rejected: `rejected_by_user`, `permission_timeout`, `bridge_policy_denied` or `rate_limited` (the job queue was full).'),
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
    requestId: requestIdSchema.optional().describe('Only the job of this `requestId` (of the caller\'s origin).'),
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
