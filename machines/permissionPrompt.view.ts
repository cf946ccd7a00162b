import type { Principal } from '../src/contract/principal.js';
import type { CommandTemplate } from '../src/contract/routes/commands.js';
import type { JobContext } from '../src/contract/routes/jobs.js';
import type {
  Decision,
  PermissionKind,
  PromptDecision,
  PromptDetails,
  PromptState,
  PromptView,
  RuleScope,
  WhitelistRule,
} from '../src/contract/routes/permissions.js';
import { promptFlags, shownTemplate, type CommandAnalysisView } from './permissionPrompt.flags.js';
import { prefixRuleOffer, proposeRule, type RuleSubject } from './permissionPrompt.rules.js';
import { visibleText } from '../src/contract/visible-text.js';

export interface PromptInput {
  promptId: string;
  kind: PermissionKind;
  subjectId: string;
  title: string;
  reason: string | null;
  requestedBy: Principal;
  /** Template fields only: a prompt never sees resolved values. */
  template: CommandTemplate;
  shell: boolean;
  /** Where it would run: the template cwd, or the user's home. */
  cwd: string;
  whitelistAllowed: boolean;
  details: PromptDetails | null;
  /** Provenance: which skill and task asked. */
  context: JobContext | null;
  /** Where a rule saved from this prompt applies: the asking origin and skill. */
  scope: RuleScope;
  /** What the bridge found the command would run (shell line, wrappers); null when not analysed. */
  analysis: CommandAnalysisView | null;
  createdAt: string;
  expiresAt: string;
  timeoutMs: number;
  /** Generated up front so that expiry, a timer, needs no id generator inside the machine. */
  expiryDecisionId: string;
}

/** How the prompt ended; ids and times come from the event that ended it. */
export interface PromptResolution {
  state: Exclude<PromptState, 'pending'>;
  at: string;
  decisionId: string | null;
  decision: PromptDecision | null;
  resolvedBy: Principal | null;
  rule: WhitelistRule | null;
}

export interface PromptContext extends PromptInput {
  resolution: PromptResolution | null;
}

/** What the requester hears on `permissions.outcome.<subjectId>` (the bus API's `PermissionOutcome`). */
export type PromptOutcome =
  | { outcome: 'allowed'; decidedBy: 'user'; decision: 'allow_once' | 'allow_and_whitelist'; ruleId: string | null; promptId: string; decisionId: string }
  | { outcome: 'rejected'; decidedBy: 'user' | 'timeout'; code: 'rejected_by_user' | 'permission_timeout'; promptId: string; decisionId: string };

/** The prompt's template as the rules see it. */
export const ruleSubject = (context: PromptInput): RuleSubject => ({
  command: context.template.command,
  args: context.template.args,
  shell: context.shell,
  cwd: context.template.cwd ?? null,
  env: context.template.env ?? {},
  stdin: context.template.stdin ?? null,
  scope: context.scope,
  unreadable: context.analysis !== null && (!context.analysis.parsed || context.analysis.dynamic),
});

/** The prompt as the user sees it, in its current state. */
export function promptView(context: PromptContext): PromptView {
  return {
    promptId: context.promptId,
    state: context.resolution?.state ?? 'pending',
    kind: context.kind,
    subjectId: context.subjectId,
    title: context.title,
    reason: context.reason,
    requestedBy: context.requestedBy,
    template: context.template,
    shell: context.shell,
    cwd: context.cwd,
    whitelistAllowed: context.whitelistAllowed,
    proposedRule: context.whitelistAllowed ? proposeRule(ruleSubject(context)) : null,
    prefixRule: context.whitelistAllowed
      ? prefixRuleOffer(ruleSubject(context))
      : { allowed: false, refusedBecause: 'This request can never be whitelisted.', warning: null, examples: [] },
    shown: shownTemplate(context.template, context.cwd),
    flags: promptFlags(context),
    commandsFound: context.analysis && (context.shell || context.analysis.commands.length > 1) ? context.analysis.commands.map((c) => visibleText(c).text) : null,
    context: context.context,
    details: context.details,
    createdAt: context.createdAt,
    expiresAt: context.expiresAt,
    resolvedAt: context.resolution?.at ?? null,
  };
}

/** The rule an `allow_and_whitelist` answer creates. */
export function newRule(context: PromptInput, ruleId: string, at: string, argsPrefix: number | undefined, anySkill = false): WhitelistRule {
  const rule = proposeRule(ruleSubject(context), argsPrefix);
  // Widening reaches every skill of the same origin, never another origin.
  if (anySkill) rule.scope = { origin: rule.scope.origin, skillId: null };
  return { ruleId, ...rule, createdAt: at, lastUsedAt: null, useCount: 0, createdByPromptId: context.promptId };
}

/** The recorded decision of a settled prompt; undefined for a cancelled one (nobody decided). */
export function decisionOf(context: PromptContext): Decision | undefined {
  const r = context.resolution;
  if (!r || r.decisionId === null) return undefined;
  return {
    decisionId: r.decisionId,
    at: r.at,
    subject: { kind: context.kind, id: context.subjectId },
    decidedBy: r.state === 'expired' ? 'timeout' : 'user',
    outcome: r.state === 'allowed_once' || r.state === 'allowed_and_whitelisted' ? 'allowed' : 'rejected',
    decision: r.decision,
    promptId: context.promptId,
    ruleId: r.rule?.ruleId ?? null,
    policy: null,
    resolvedBy: r.resolvedBy,
    requestedBy: context.requestedBy,
    context: context.context,
  };
}

/** What the requester is told; undefined for a cancelled prompt (the requester withdrew it). */
export function outcomeOf(context: PromptContext): PromptOutcome | undefined {
  const r = context.resolution;
  if (!r || r.decisionId === null) return undefined;
  const base = { promptId: context.promptId, decisionId: r.decisionId };
  switch (r.state) {
    case 'allowed_once':
      return { outcome: 'allowed', decidedBy: 'user', decision: 'allow_once', ruleId: null, ...base };
    case 'allowed_and_whitelisted':
      return { outcome: 'allowed', decidedBy: 'user', decision: 'allow_and_whitelist', ruleId: r.rule?.ruleId ?? null, ...base };
    case 'rejected':
      return { outcome: 'rejected', decidedBy: 'user', code: 'rejected_by_user', ...base };
    case 'expired':
      return { outcome: 'rejected', decidedBy: 'timeout', code: 'permission_timeout', ...base };
    default:
      return undefined;
  }
}
