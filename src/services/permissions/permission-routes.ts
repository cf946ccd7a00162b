import { BridgeError } from '../../contract/errors.js';
import { principalScope, type Principal } from '../../contract/principal.js';
import type { WhitelistRule } from '../../contract/routes/permissions.js';
import { prefixRefusal } from '../../../machines/permissionPrompt.rules.js';
import { ruleSubject } from '../../../machines/permissionPrompt.view.js';
import { ROUTES } from '../../contract/routes/index.js';
import type { PromptContext } from '../../../machines/permissionPrompt.machine.js';
import { isoAt } from '../../runtime/clock.js';
import { serveRoute } from '../serve-route.js';
import { newId } from '../session/token.js';
import type { RunningService, ServiceContext } from '../service-context.js';
import { livePrompt, type PermissionStore } from './permission-store.js';

/**
 * The HTTP face of the permission authority: answering prompts, the whitelist rules (listed, read,
 * deleted; created only by an allow_and_whitelist answer) and, for the local UI, the pending
 * prompts and the decision audit.
 */
export function startPermissionRoutes(ctx: ServiceContext, store: PermissionStore): RunningService {
  const { bus, subjects, runtime, clock, config } = ctx;

  const subscriptions = [
    serveRoute(bus, subjects, ROUTES.systemPermissionsPromptsResolve, ({ principal, params, body }) => {
      const promptId = params.requestId;
      const prompt = livePrompt(runtime, promptId);
      const context = prompt?.getSnapshot().context as PromptContext | undefined;
      // Another origin's prompt does not exist for this session: not even its state is told.
      const foreign = (requestedBy: Principal) => principal.kind !== 'ui' && (requestedBy.kind === 'ui' || principalScope(requestedBy) !== principalScope(principal));
      if (!prompt || !context || !prompt.getSnapshot().matches('pending')) {
        const known = store.prompts.get(promptId);
        if (!known || foreign(known.requestedBy)) throw new BridgeError('not_found', `No permission prompt ${promptId}.`);
        throw new BridgeError('conflict', `The prompt is already ${known.state}; a prompt resolves once.`, { details: { state: known.state } });
      }
      if (foreign(context.requestedBy)) throw new BridgeError('not_found', `No permission prompt ${promptId}.`);
      if (config.current.approvals.localOnly && principal.kind !== 'ui') {
        throw new BridgeError('forbidden', 'Prompts are answered in the bridge\'s own window on this machine (approvals.localOnly).');
      }
      // A session answers only what it asked for itself: never another app's (or another tab's) prompt.
      if (principal.kind !== 'ui' && !askedBy(context, principal)) {
        throw new BridgeError('forbidden', 'This prompt was raised by another session; only that session or the local UI may answer it.');
      }
      if (body.decision === 'allow_and_whitelist') {
        if (!context.whitelistAllowed) {
          throw new BridgeError('invalid_request', `A${context.kind === 'install' ? 'n install' : ' request of this kind'} can never be whitelisted; answer allow_once or reject.`, {
            details: { field: 'decision', kind: context.kind },
          });
        }
        if (body.ruleArgsPrefix !== undefined) {
          const refusal = prefixRefusal(ruleSubject(context));
          if (refusal) throw new BridgeError('invalid_request', `${refusal} Save an exact rule instead.`, { details: { field: 'ruleArgsPrefix' } });
        }
        if (body.ruleArgsPrefix !== undefined && body.ruleArgsPrefix > context.template.args.length) {
          throw new BridgeError('invalid_request', `ruleArgsPrefix must be at most ${context.template.args.length}, the number of template arguments; got ${body.ruleArgsPrefix}.`, {
            details: { field: 'ruleArgsPrefix' },
          });
        }
      }
      const decisionId = newId('dec');
      const ruleId = body.decision === 'allow_and_whitelist' ? newId('rule') : null;
      // xstate processes the event synchronously: the answer is recorded when send() returns.
      prompt.send({
        type: 'prompt.resolve',
        decision: body.decision,
        decisionId,
        ruleId,
        ...(body.ruleArgsPrefix !== undefined ? { ruleArgsPrefix: body.ruleArgsPrefix } : {}),
        ...(body.ruleScope !== undefined ? { ruleScope: body.ruleScope } : {}),
        resolvedBy: principal,
        at: isoAt(clock.now()),
      });
      const state = prompt.getSnapshot().value as string;
      if (state === 'pending' || state === 'expired' || state === 'cancelled') {
        throw new BridgeError('conflict', `The prompt is already ${state}; a prompt resolves once.`, { details: { state } });
      }
      return { promptId, state: state as 'allowed_once' | 'allowed_and_whitelisted' | 'rejected', decisionId, ruleId };
    }),

    // A session sees and revokes only its own origin's rules; another origin's are "not found".
    serveRoute(bus, subjects, ROUTES.systemPermissionsRulesList, ({ principal }) => ({
      rules: principal.kind === 'ui' ? store.rules.list() : store.rules.list({ origin: principalScope(principal) }),
    })),

    serveRoute(bus, subjects, ROUTES.systemPermissionsRulesGet, ({ principal, params }) => {
      const rule = store.rules.get(params.ruleId);
      if (!rule || !visibleTo(rule, principal)) throw new BridgeError('not_found', `No whitelist rule ${params.ruleId}.`);
      return rule;
    }),

    serveRoute(bus, subjects, ROUTES.systemPermissionsRulesDelete, ({ principal, params }) => {
      const found = store.rules.get(params.ruleId);
      if (!found || !visibleTo(found, principal)) throw new BridgeError('not_found', `No whitelist rule ${params.ruleId}.`);
      const rule = store.rules.delete(params.ruleId);
      if (!rule) throw new BridgeError('not_found', `No whitelist rule ${params.ruleId}.`);
      bus.publish(subjects.event('permission.whitelist.updated'), { change: 'deleted', rule });
      return { ruleId: rule.ruleId, deleted: true as const };
    }),

    serveRoute(bus, subjects, ROUTES.uiPrompts, () => ({ prompts: store.prompts.pending() })),

    serveRoute(bus, subjects, ROUTES.uiDecisions, ({ query }) =>
      store.decisions.list({ limit: query.limit, ...(query.cursor !== undefined ? { cursor: query.cursor } : {}) }),
    ),
  ];

  return {
    stop() {
      for (const subscription of subscriptions) subscription.unsubscribe();
    },
  };
}

/** The local UI sees every rule; anyone else only the rules of its own origin. */
function visibleTo(rule: WhitelistRule, principal: Principal): boolean {
  return principal.kind === 'ui' || rule.scope.origin === principalScope(principal);
}

/** The prompt was raised by this very session. */
function askedBy(context: PromptContext, principal: Principal): boolean {
  return principal.kind === 'session' && context.requestedBy.kind === 'session' && context.requestedBy.sessionId === principal.sessionId;
}
