import { z } from 'zod';
import { principalSchema } from '../principal.js';
import { defineRoute } from '../route.js';
import { storedTemplateSchema } from './commands.js';
import { storedJobContextSchema } from './jobs.js';
import { idParams, resourceIdSchema } from './common.js';
import { recipeStepSchema } from './system.js';

/** What a prompt or decision is about: a command run, a tool install, or starting a stdio MCP server. */
export const permissionKindSchema = z.enum(['command', 'install', 'mcp_server']);
export type PermissionKind = z.infer<typeof permissionKindSchema>;

export const promptDecisionSchema = z.enum(['allow_once', 'allow_and_whitelist', 'reject']);
export type PromptDecision = z.infer<typeof promptDecisionSchema>;

export const promptStateSchema = z
  .enum(['pending', 'allowed_once', 'allowed_and_whitelisted', 'rejected', 'expired', 'cancelled'])
  .describe('cancelled: the request was withdrawn before anyone answered (run terminated, MCP server removed).');
export type PromptState = z.infer<typeof promptStateSchema>;

/**
 * Where a rule applies: the origin whose requests it allows and, optionally, one skill of it. A
 * rule never reaches another origin; `skillId: null` covers every skill of its origin.
 */
export const ruleScopeSchema = z.object({
  origin: z
    .string()
    .nullable()
    .describe('The requests it allows come from this origin (a web app\'s origin, `fleet:<key>` for a fleet orchestrator); null: the local UI and local clients that send no Origin.'),
  skillId: z.string().nullable().describe('Only requests whose `context.skillId` is this; null: every skill of the origin (the user widened it).'),
});
export type RuleScope = z.infer<typeof ruleScopeSchema>;

/**
 * A whitelist rule: everything that changes what runs, as the template wrote it (never resolved
 * values), compared exactly. A request that differs in any field the rule names prompts.
 */
export const whitelistRuleSchema = z.object({
  ruleId: resourceIdSchema,
  executable: z.string().describe('The template `command`, compared exactly.'),
  args: z.array(z.string()).describe('Template arguments the command must start with.'),
  anyFurtherArgs: z
    .boolean()
    .describe(
      'The `*` of the rule: true lets any further arguments follow `args`; false requires exactly `args`. A separate flag so that a literal "*" argument is never a wildcard. Never true for shells, interpreters, wrappers and tools whose options run code or write files (docs/contract.md lists them).',
    ),
  shell: z.boolean().describe('Matches only requests with the same `shell` flag.'),
  cwd: z.string().nullable().describe('The template working directory, compared exactly; null: the user\'s home (no working directory given).'),
  env: z.record(z.string(), z.string()).describe('The template variables, names and values, compared exactly: a request with any other variable, or another value, prompts.'),
  stdin: z.string().nullable().describe('The template stdin, compared exactly; null: no stdin.'),
  scope: ruleScopeSchema,
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime().nullable(),
  useCount: z.number().int().min(0),
  createdByPromptId: resourceIdSchema.describe('The prompt whose `allow_and_whitelist` created the rule.'),
});
export type WhitelistRule = z.infer<typeof whitelistRuleSchema>;

/** What a whitelist rule looks at: every template field that changes what runs, and its scope. */
export const ruleMatchSchema = whitelistRuleSchema.pick({ executable: true, args: true, anyFurtherArgs: true, shell: true, cwd: true, env: true, stdin: true, scope: true });
export type RuleMatch = z.infer<typeof ruleMatchSchema>;

/** Why a prompt draws attention to something: shown next to the field, in plain words. */
export const promptFlagCodeSchema = z.enum([
  'hidden_characters',
  'risky_executable',
  'risky_option',
  'risky_env',
  'shell_line_unparsed',
  'command_computed_at_run_time',
  'several_commands',
  'writes_files',
  'secret_in_code',
  'network_host',
  'private_network',
]);
export type PromptFlagCode = z.infer<typeof promptFlagCodeSchema>;

export const promptFlagSchema = z.object({
  code: promptFlagCodeSchema,
  field: z.string().nullable().describe('The field it is about (`command`, `args[2]`, `env.NODE_OPTIONS`, `url`), or null for the whole request.'),
  message: z.string().describe('What it means, in plain words.'),
});
export type PromptFlag = z.infer<typeof promptFlagSchema>;

/**
 * The template as the prompt draws it: every character that could hide, reorder or fake text
 * (bidi controls, zero-width, separators, any non-printing character) replaced by a visible
 * escape (`⟪U+202E⟫`, `␊`). Never truncated.
 */
export const shownTemplateSchema = z.object({
  command: z.string(),
  args: z.array(z.string()),
  cwd: z.string(),
  env: z.array(z.object({ name: z.string(), value: z.string() })),
  stdin: z.string().nullable(),
});
export type ShownTemplate = z.infer<typeof shownTemplateSchema>;

/** Whether "these arguments, then anything" may be saved for this prompt, and what it would also allow. */
export const prefixRuleOfferSchema = z.object({
  allowed: z.boolean(),
  refusedBecause: z.string().nullable().describe('Why no prefix rule can be saved (a shell, an interpreter, a wrapper, a tool whose options run code or write files, a line the bridge could not parse).'),
  warning: z.string().nullable().describe('Shown before a prefix rule is saved.'),
  examples: z.array(z.string()).describe('Other commands the shortest prefix rule would also allow, drawn visibly.'),
});
export type PrefixRuleOffer = z.infer<typeof prefixRuleOfferSchema>;

/**
 * Extra facts the capability asking for permission supplies for display: the recipe of a tool
 * install, the name of an MCP server. Never used to decide anything.
 */
export const promptDetailsSchema = z
  .object({
    installId: resourceIdSchema,
    tool: z.string(),
    variantId: z.string(),
    packageManager: z.string(),
    requiresElevation: z.boolean(),
    steps: z.array(recipeStepSchema),
    serverId: resourceIdSchema,
    serverName: z.string(),
    transport: z.enum(['stdio', 'streamable-http', 'sse']),
    url: z.string().describe('An HTTP MCP server\'s template URL: the exact URL approved.'),
    headerNames: z.array(z.string()).describe('The names of the headers sent to it (values never shown).'),
  })
  .partial();
export type PromptDetails = z.infer<typeof promptDetailsSchema>;

/**
 * A permission prompt as the user sees it: what would run (template fields, never resolved
 * values), where, who asked and why, until when, and the rule `allow_and_whitelist` would save.
 */
export const promptViewSchema = z.object({
  promptId: resourceIdSchema,
  state: promptStateSchema,
  kind: permissionKindSchema,
  subjectId: resourceIdSchema.describe('What asked: the runId of a command or install step, or the serverId of an MCP server.'),
  title: z.string(),
  reason: z.string().nullable().describe('Why the agent asked, in its own words.'),
  requestedBy: principalSchema.describe('Who asked: the web-app session and its origin, or the local UI.'),
  template: storedTemplateSchema.describe('What would run, as the web app wrote it (secret placeholders unresolved), untruncated.'),
  shell: z.boolean().describe('`template.command` is a shell command line.'),
  cwd: z.string().describe('The directory it would run in: the template `cwd`, or the user\'s home.'),
  whitelistAllowed: z.boolean().describe('False for installs: they always prompt and `allow_and_whitelist` is refused.'),
  proposedRule: ruleMatchSchema
    .nullable()
    .describe('The rule `allow_and_whitelist` would save (exactly these fields; `ruleArgsPrefix` keeps only the first N arguments, then `*`). Null when the request can never be whitelisted.'),
  prefixRule: prefixRuleOfferSchema,
  shown: shownTemplateSchema.describe('The template exactly as the prompt draws it: what the user saw is what runs.'),
  flags: z.array(promptFlagSchema).describe('What deserves the user\'s attention: hidden characters, variables and options that change what runs, shell lines the bridge could not read.'),
  commandsFound: z.array(z.string()).nullable().describe('Every command the bridge found in a shell line (or behind a wrapper), drawn visibly; null for a plain command.'),
  context: storedJobContextSchema.nullable().describe('Provenance: which skill and task of the web app asked.'),
  details: promptDetailsSchema.nullable(),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  resolvedAt: z.iso.datetime().nullable(),
});
export type PromptView = z.infer<typeof promptViewSchema>;

/** One recorded permission decision, whoever made it. */
export const decisionSchema = z.object({
  decisionId: resourceIdSchema,
  at: z.iso.datetime(),
  subject: z.object({ kind: permissionKindSchema, id: resourceIdSchema.describe('runId, installId or serverId.') }),
  decidedBy: z.enum(['user', 'rule', 'policy', 'timeout']),
  outcome: z.enum(['allowed', 'rejected']),
  decision: promptDecisionSchema.nullable().describe('The user\'s answer, when `decidedBy` is user.'),
  promptId: resourceIdSchema.nullable(),
  ruleId: resourceIdSchema.nullable().describe('The rule that allowed the request, or the rule an allow_and_whitelist created.'),
  policy: z.string().nullable().describe('The deny-list entry that matched, when `decidedBy` is policy.'),
  resolvedBy: principalSchema.nullable().describe('Who answered the prompt, when `decidedBy` is user: the bridge\'s own window (`ui`) or a web-app session.'),
  requestedBy: principalSchema.nullable().optional().describe('Who asked (absent in decisions recorded before this field existed).'),
  context: storedJobContextSchema.nullable().optional().describe('Provenance of the request: which skill and task asked.'),
});
export type Decision = z.infer<typeof decisionSchema>;

const ruleParams = idParams('ruleId', 'The whitelist rule.');

export const rulesList = defineRoute({
  id: 'system.permissions.rules.list',
  method: 'GET',
  path: '/api/v1/system/permissions/commands',
  auth: 'session_or_ui',
  summary: 'List whitelist rules',
  reply: z.object({ rules: z.array(whitelistRuleSchema).describe('Newest first.') }),
});

export const rulesGet = defineRoute({
  id: 'system.permissions.rules.get',
  method: 'GET',
  path: '/api/v1/system/permissions/commands/:ruleId',
  auth: 'session_or_ui',
  summary: 'Get whitelist rule',
  params: ruleParams,
  reply: whitelistRuleSchema,
});

export const rulesDelete = defineRoute({
  id: 'system.permissions.rules.delete',
  method: 'DELETE',
  path: '/api/v1/system/permissions/commands/:ruleId',
  auth: 'session_or_ui',
  summary: 'Delete whitelist rule',
  params: ruleParams,
  reply: z.object({ ruleId: resourceIdSchema, deleted: z.literal(true) }),
});

export const resolvePromptBodySchema = z
  .strictObject({
    decision: promptDecisionSchema,
    ruleArgsPrefix: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('Only with allow_and_whitelist: save the rule with the first N template arguments followed by `*`. Omitted: the rule requires exactly these arguments. Refused where `prefixRule.allowed` is false.'),
    ruleScope: z
      .enum(['skill', 'origin'])
      .optional()
      .describe('Only with allow_and_whitelist: `skill` (the default) allows the command for the skill that asked; `origin` for every skill of that origin.'),
  })
  .refine((body) => body.ruleArgsPrefix === undefined || body.decision === 'allow_and_whitelist', {
    path: ['ruleArgsPrefix'],
    message: 'is only allowed with decision "allow_and_whitelist"',
  })
  .refine((body) => body.ruleScope === undefined || body.decision === 'allow_and_whitelist', {
    path: ['ruleScope'],
    message: 'is only allowed with decision "allow_and_whitelist"',
  });

export const promptsResolve = defineRoute({
  id: 'system.permissions.prompts.resolve',
  method: 'POST',
  path: '/api/v1/system/permissions/prompts/:requestId/resolve',
  auth: 'session_or_ui',
  summary: 'Resolve pending permission prompt',
  params: idParams('requestId', 'The prompt: the `promptId` of an execute, install or MCP connect reply.'),
  body: resolvePromptBodySchema,
  reply: z.object({
    promptId: resourceIdSchema,
    state: promptStateSchema,
    decisionId: resourceIdSchema,
    ruleId: resourceIdSchema.nullable().describe('The rule created by allow_and_whitelist.'),
  }),
});
