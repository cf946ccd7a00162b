import type { AnyActorRef } from 'xstate';
import { waitFor } from 'xstate';
import type { ToolInstallContext } from '../../../machines/toolInstall.machine.js';
import { BridgeError } from '../../contract/errors.js';
import { ROUTES } from '../../contract/routes/index.js';
import type { Recipe } from '../../contract/routes/system.js';
import { findRecipe, resolveRecipe } from '../../system/recipes.js';
import { serveRoute } from '../serve-route.js';
import type { RunningService, ServiceContext } from '../service-context.js';
import { newId } from '../session/token.js';
import type { SystemCatalog } from './system-service.js';

/** Longest wait for the first step's prompt to open (the authority answers at once). */
const PROMPT_TIMEOUT_MS = 20_000;

/**
 * `POST /system/tools/install`: resolves the recipe for this machine and spawns an install actor,
 * whose steps run as command runs of kind `install` (always prompted, never whitelisted). It
 * replies once the first prompt is open: 202 with the install and prompt ids.
 */
export function startInstallService(ctx: ServiceContext, deps: { catalog: SystemCatalog; recipes: readonly Recipe[] }): RunningService {
  const { bus, subjects, runtime } = ctx;

  const subscription = serveRoute(bus, subjects, ROUTES.systemToolsInstall, async ({ principal, body }) => {
    const recipe = findRecipe(body.tool, deps.recipes);
    if (!recipe) throw new BridgeError('not_found', `The catalogue has no recipe for ${body.tool}.`, { details: { tools: deps.recipes.map((r) => r.tool) } });
    const target = await deps.catalog.resolveTarget();
    if ('unsupported' in target) throw new BridgeError('unsupported', target.unsupported, { details: { reason: target.unsupported } });
    const resolved = resolveRecipe(recipe, target, {
      ...(body.variantId !== undefined ? { variantId: body.variantId } : {}),
      ...(body.packageManager !== undefined ? { packageManager: body.packageManager } : {}),
    });
    if (resolved.status === 'unsupported') throw new BridgeError('unsupported', resolved.reason, { details: { reason: resolved.reason } });

    const installId = newId('inst');
    const ref: AnyActorRef = runtime.spawn('toolInstall', installId, {
      installId,
      tool: recipe.tool,
      binary: recipe.binary,
      variantId: resolved.variantId,
      packageManager: resolved.packageManager,
      requiresElevation: resolved.requiresElevation,
      steps: resolved.steps,
      timeoutMs: body.timeoutMs,
      reason: body.reason ?? null,
      requestedBy: principal,
    });
    const snapshot = await waitFor(ref, (s) => (s.context as ToolInstallContext).promptId !== null || s.status !== 'active', { timeout: PROMPT_TIMEOUT_MS });
    const context = snapshot.context as ToolInstallContext;
    if (context.promptId === null) {
      const failure = context.failure;
      const code = failure?.errorCode === 'bridge_policy_denied' ? 'bridge_policy_denied' : failure?.errorCode === 'unavailable' ? 'unavailable' : 'internal';
      throw new BridgeError(code, failure?.message ?? 'The install could not ask for permission.', { details: { installId } });
    }
    return { installId, promptId: context.promptId, state: 'awaiting_permission' as const };
  });

  return {
    stop() {
      subscription.unsubscribe();
    },
  };
}
