import os from 'node:os';
import { z } from 'zod';
import { BridgeError } from '../../contract/errors.js';
import type { EventType } from '../../contract/events.js';
import { principalSchema, principalScope, type Principal } from '../../contract/principal.js';
import { envSchema, noNulString, resourceIdSchema } from '../../contract/routes/common.js';
import { storedJobContextSchema, type JobContext } from '../../contract/routes/jobs.js';
import { permissionKindSchema, promptDetailsSchema, type Decision, type RuleScope } from '../../contract/routes/permissions.js';
import { ruleMatches } from '../../../machines/permissionPrompt.rules.js';
import { ruleSubject } from '../../../machines/permissionPrompt.view.js';
import { promptFlags } from '../../../machines/permissionPrompt.flags.js';
import type { PromptInput } from '../../../machines/permissionPrompt.machine.js';
import { resolveExecutable } from '../../processes/resolve-executable.js';
import { isoAt } from '../../runtime/clock.js';
import { newId } from '../session/token.js';
import type { RunningService, ServiceContext } from '../service-context.js';
import { permissionSubjects, type PermissionCancel, type PermissionVerdict } from './permission-api.js';
import { livePrompt, type PermissionStore } from './permission-store.js';
import { checkPolicy } from './policy.js';

/** The bus request of `permission-api.ts`, checked: it may come from any service, or over NATS. */
const permissionRequestSchema = z.object({
  subjectKind: permissionKindSchema,
  subjectId: resourceIdSchema,
  template: z.object({
    command: noNulString.min(1),
    args: z.array(noNulString),
    cwd: noNulString.min(1).nullish(),
    env: envSchema.optional(),
    stdin: z.string().optional(),
  }),
  title: z.string().min(1),
  reason: z.string().nullable(),
  requestedBy: principalSchema,
  whitelistAllowed: z.boolean(),
  shell: z.boolean().optional(),
  details: promptDetailsSchema.nullish(),
  context: storedJobContextSchema.nullish(),
});

/** Where a rule earned by this request applies: the asking origin, and the skill that asked. */
export function ruleScopeOf(requestedBy: Principal, context: JobContext | null | undefined): RuleScope {
  return { origin: principalScope(requestedBy), skillId: context?.skillId ?? null };
}

export interface AuthorityDeps {
  store: PermissionStore;
  /** The login-shell PATH, to see where a command resolves for path entries of the deny list. */
  searchPath: () => Promise<string>;
}

/**
 * The permission authority: decides each request in order — the bridge policy (deny list), a
 * whitelist rule matching the template, else a prompt actor — and records every decision.
 */
export function startPermissionAuthority(ctx: ServiceContext, deps: AuthorityDeps): RunningService {
  const { bus, subjects, runtime, config, clock } = ctx;
  const { store } = deps;
  const api = permissionSubjects(subjects);
  const publish = (type: EventType, data: unknown) => bus.publish(subjects.event(type), data);

  const recordDecision = (decision: Decision) => {
    store.record(decision, null);
    publish('permission.decision.recorded', decision);
  };

  const decide = async (data: unknown): Promise<PermissionVerdict> => {
    const parsed = permissionRequestSchema.safeParse(data);
    if (!parsed.success) {
      throw new BridgeError('invalid_request', `Invalid permission request: ${z.prettifyError(parsed.error)}`);
    }
    const request = parsed.data;
    const at = isoAt(clock.now());
    const shell = request.shell ?? false;
    const cwd = request.template.cwd ?? os.homedir();
    const context = request.context ?? null;
    // Spread last into each decision (its fields are not the decision's own): see initialRunContext.
    const base = {
      at,
      subject: { kind: request.subjectKind, id: request.subjectId },
      decision: null,
      promptId: null,
      resolvedBy: null,
      requestedBy: request.requestedBy,
      context,
    };
    // An HTTP MCP server runs nothing here: its URL and headers are shown, never parsed as a command.
    const isNetwork = request.details?.url !== undefined;

    let analysis: PromptInput['analysis'] = null;
    if (!isNetwork) {
      const denyList = config.current.denyList;
      const resolvedPath =
        denyList.length > 0 && !shell ? await resolveExecutable(request.template.command, { searchPath: await deps.searchPath(), cwd }).catch(() => null) : null;
      const verdict = await checkPolicy(denyList, { command: request.template.command, args: request.template.args, shell, resolvedPath });
      analysis = verdict.analysis;
      if (verdict.deniedBy) {
        const policy = verdict.deniedBy;
        const decisionId = newId('dec');
        recordDecision({ decisionId, decidedBy: 'policy', outcome: 'rejected', ruleId: null, policy, ...base });
        return { outcome: 'denied', decidedBy: 'policy', code: 'bridge_policy_denied', policy, decisionId };
      }
    }

    const timeoutMs = config.current.promptTimeoutMs;
    const promptId = newId('prm');
    // Installs and HTTP servers are never whitelisted, whatever the requester says.
    const whitelistAllowed = request.whitelistAllowed && request.subjectKind !== 'install' && !isNetwork;
    const input: PromptInput = {
      promptId,
      kind: request.subjectKind,
      subjectId: request.subjectId,
      title: request.title,
      reason: request.reason,
      requestedBy: request.requestedBy,
      template: {
        command: request.template.command,
        args: request.template.args,
        ...(request.template.cwd ? { cwd: request.template.cwd } : {}),
        ...(request.template.env ? { env: request.template.env } : {}),
        ...(request.template.stdin !== undefined ? { stdin: request.template.stdin } : {}),
      },
      shell,
      cwd,
      whitelistAllowed,
      details: request.details ?? null,
      context,
      scope: ruleScopeOf(request.requestedBy, context),
      analysis,
      createdAt: at,
      expiresAt: isoAt(clock.now() + timeoutMs),
      timeoutMs,
      expiryDecisionId: newId('dec'),
    };

    // A rule cannot pin what runs when the bridge could not read the line, or a secret sits inside code.
    if (ruleSubject(input).unreadable || promptFlags(input).some((flag) => flag.code === 'secret_in_code')) input.whitelistAllowed = false;

    if (input.whitelistAllowed) {
      // Every field that changes what runs, and the scope: anything a rule does not name prompts.
      const subject = ruleSubject(input);
      const rule = store.rules.forExecutable(subject.command).find((candidate) => ruleMatches(candidate, subject));
      if (rule) {
        const decisionId = newId('dec');
        const decision: Decision = { decisionId, decidedBy: 'rule', outcome: 'allowed', ruleId: rule.ruleId, policy: null, ...base };
        const used = store.recordRuleUse(decision, rule.ruleId, at);
        publish('permission.decision.recorded', decision);
        if (used) publish('permission.whitelist.updated', { change: 'used', rule: used });
        return { outcome: 'allowed', decidedBy: 'rule', ruleId: rule.ruleId, decisionId };
      }
    }

    runtime.spawn('permissionPrompt', promptId, input);
    return { outcome: 'pending', promptId, expiresAt: input.expiresAt };
  };

  const subscriptions = [
    bus.serve(api.request, decide),
    bus.serve(api.cancel, (data) => {
      const { promptId } = (data ?? {}) as Partial<PermissionCancel>;
      const prompt = typeof promptId === 'string' ? livePrompt(runtime, promptId) : undefined;
      if (!prompt || !prompt.getSnapshot().matches('pending')) return { cancelled: false };
      prompt.send({ type: 'prompt.cancel', at: isoAt(clock.now()) });
      return { cancelled: true };
    }),
  ];

  return {
    stop() {
      for (const subscription of subscriptions) subscription.unsubscribe();
    },
  };
}
