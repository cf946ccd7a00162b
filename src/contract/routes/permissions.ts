import { z } from 'zod';
import { principalSchema } from '../principal.js';
import { defineRoute } from '../route.js';
import { commandTemplateSchema } from './commands.js';
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

/** A whitelist rule: matches template fields only, never resolved values. */
export const whitelistRuleSchema = z.object({
  ruleId: resourceIdSchema,
  executable: z.string().describe('The template `command`, compared exactly.'),
  args: z.array(z.string()).describe('Template arguments the command must start with.'),
  anyFurtherArgs: z
    .boolean()
    .describe('The `*` of the rule: true lets any further arguments follow `args`; false requires exactly `args`. A separate flag so that a literal "*" argument is never a wildcard.'),
  shell: z.boolean().describe('Matches only requests with the same `shell` flag.'),
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime().nullable(),
  useCount: z.number().int().min(0),
  createdByPromptId: resourceIdSchema.describe('The prompt whose `allow_and_whitelist` created the rule.'),
});
export type WhitelistRule = z.infer<typeof whitelistRuleSchema>;

/** What a whitelist rule looks at: the template's executable, arguments and `shell` flag. */
export const ruleMatchSchema = whitelistRuleSchema.pick({ executable: true, args: true, anyFurtherArgs: true, shell: true });
export type RuleMatch = z.infer<typeof ruleMatchSchema>;

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
  template: commandTemplateSchema.describe('What would run, as the web app wrote it (secret placeholders unresolved), untruncated.'),
  shell: z.boolean().describe('`template.command` is a shell command line.'),
  cwd: z.string().describe('The directory it would run in: the template `cwd`, or the user\'s home.'),
  whitelistAllowed: z.boolean().describe('False for installs: they always prompt and `allow_and_whitelist` is refused.'),
  proposedRule: ruleMatchSchema
    .nullable()
    .describe('The rule `allow_and_whitelist` would save (exactly these arguments; `ruleArgsPrefix` keeps only the first N, then `*`). Null when the request can never be whitelisted.'),
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
  resolvedBy: principalSchema.nullable().describe('Who answered the prompt, when `decidedBy` is user.'),
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
      .describe('Only with allow_and_whitelist: save the rule with the first N template arguments followed by `*`. Omitted: the rule requires exactly these arguments.'),
  })
  .refine((body) => body.ruleArgsPrefix === undefined || body.decision === 'allow_and_whitelist', {
    path: ['ruleArgsPrefix'],
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
