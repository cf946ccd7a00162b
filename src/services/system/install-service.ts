import os from 'node:os';
import { waitFor, type AnyActorRef } from 'xstate';
import { BridgeError } from '../../contract/errors.js';
import type { Principal } from '../../contract/principal.js';
import { ROUTES } from '../../contract/routes/index.js';
import { normaliseJobContext } from '../../contract/routes/jobs.js';
import { INSTALL_HOLD_MAX_MS, type InstallAccepted, type Recipe, type RecipeStep } from '../../contract/routes/system.js';
import { resolveExecutable } from '../../processes/resolve-executable.js';
import { isoAt, type Clock } from '../../runtime/clock.js';
import { findRecipe, resolveRecipe } from '../../system/recipes.js';
import { heldRequestsOf } from '../commands/held-requests.js';
import { checkPolicy } from '../permissions/policy.js';
import { serveRoute } from '../serve-route.js';
import type { RunningService, ServiceContext } from '../service-context.js';
import { newId } from '../session/token.js';
import { serveInstallJobs } from './install-job-lookups.js';
import type { InstallJobs } from './install-jobs.js';
import { installReplyOf, replyFrom } from './install-reply.js';
import { storedInstallJob, type InstallSnapshot } from './install-run-view.js';
import type { SystemCatalog } from './system-service.js';

/** Longest wait for the authority's verdict (the prompt opening, or a policy refusal). */
const DECIDING_TIMEOUT_MS = 20_000;

const deciding = (s: InstallSnapshot) => s.matches('awaiting_permission') && s.context.promptId === null && s.status === 'active';
const decided = (s: InstallSnapshot) => !s.matches('awaiting_permission') || s.status !== 'active';

/**
 * `POST /system/tools/install`: one install is one job. It resolves the catalogue recipe for
 * this machine, spawns the install actor — which asks the user once, showing every step — and,
 * like execute, holds the request until the user answers (unless `Prefer: respond-async` or the
 * session's held-request cap). A rejection is an `accepted: false` reply; an allowed install
 * replies with its job, whose steps then run without asking again.
 */
export function startInstallService(ctx: ServiceContext, deps: { catalog: SystemCatalog; recipes: readonly Recipe[]; jobs: InstallJobs }): RunningService {
  const { bus, subjects, runtime, clock, config } = ctx;
  // The same cap as executes': a browser's connections are shared by both.
  const held = heldRequestsOf(config);
  const { jobs } = deps;

  const subscription = serveRoute(bus, subjects, ROUTES.systemToolsInstall, async ({ principal, body, prefer }) => {
    const first = body.requestId !== undefined ? jobs.byRequest(principal, body.requestId) : undefined;
    if (first) return replyFrom(first.reply, { duplicate: true, held: false, heldLimitReached: false });

    const recipe = findRecipe(body.toolId, deps.recipes);
    if (!recipe) throw new BridgeError('not_found', `The catalogue has no recipe for ${body.toolId}.`, { details: { tools: deps.recipes.map((r) => r.tool) } });
    const target = await deps.catalog.resolveTarget();
    if ('unsupported' in target) throw new BridgeError('unsupported', target.unsupported, { details: { reason: target.unsupported } });
    const resolved = resolveRecipe(recipe, target, {
      ...(body.variantId !== undefined ? { variantId: body.variantId } : {}),
      ...(body.packageManager !== undefined ? { packageManager: body.packageManager } : {}),
    });
    if (resolved.status === 'unsupported') throw new BridgeError('unsupported', resolved.reason, { details: { reason: resolved.reason } });

    const denied = await deniedStep(resolved.steps, config.current.denyList, async () => (await deps.catalog.loginPath()).path);
    if (denied) {
      throw new BridgeError('bridge_policy_denied', `The bridge policy forbids step ${denied.index + 1} of this install (deny list entry ${JSON.stringify(denied.entry)}).`, {
        details: { step: denied.index, policy: denied.entry },
      });
    }

    const installId = newId('inst');
    const ref: AnyActorRef = runtime.spawn('toolInstall', installId, {
      installId,
      tool: recipe.tool,
      title: recipe.title,
      binary: recipe.binary,
      variantId: resolved.variantId,
      packageManager: resolved.packageManager,
      requiresElevation: resolved.requiresElevation,
      steps: resolved.steps,
      timeoutMs: body.timeoutMs,
      reason: body.reason ?? null,
      requestedBy: principal,
      requestId: body.requestId ?? null,
      context: normaliseJobContext(body.context),
    });
    // Remembered before anything can interleave: a repeat of this requestId finds this install.
    const createdAt = isoAt(clock.now());
    jobs.add(storedInstallJob({ snapshot: ref.getSnapshot() as InstallSnapshot, createdAt, endedAt: null }), body.requestId ?? null);
    ref.subscribe((snapshot) => {
      const done = (snapshot as InstallSnapshot).status === 'done';
      jobs.update(storedInstallJob({ snapshot: snapshot as InstallSnapshot, createdAt, endedAt: done ? isoAt(clock.now()) : null }));
    });
    return hold(ref, principal, prefer?.respondAsync ?? false, clock);
  });

  /** Waits for the prompt to open, then (unless asked not to) for the user's answer. */
  const hold = async (ref: AnyActorRef, principal: Principal, respondAsync: boolean, clock: Clock): Promise<InstallAccepted> => {
    const startedAt = clock.now();
    let snapshot = (await waitFor(ref, (s) => !deciding(s as InstallSnapshot), { timeout: DECIDING_TIMEOUT_MS })) as InstallSnapshot;
    if (decided(snapshot) || respondAsync) return replyFor(snapshot, { duplicate: false, held: false, heldLimitReached: false });
    const place = held.tryHold(principal);
    if (!place.held) return replyFor(snapshot, { duplicate: false, held: false, heldLimitReached: true });
    try {
      const holdMs = Math.max(0, INSTALL_HOLD_MAX_MS - (clock.now() - startedAt));
      snapshot = (await waitFor(ref, (s) => decided(s as InstallSnapshot), { timeout: holdMs }).catch(() => ref.getSnapshot())) as InstallSnapshot;
    } finally {
      place.release();
    }
    return replyFor(snapshot, { duplicate: false, held: true, heldLimitReached: false });
  };

  const lookups = serveInstallJobs(ctx, jobs);

  return {
    stop() {
      subscription.unsubscribe();
      lookups.unsubscribe();
    },
  };
}

/**
 * The first step the deny list forbids. The one prompt must not offer what the policy would stop
 * half-way: the authority judges the prompt's template (the first step), this every step.
 */
async function deniedStep(steps: readonly RecipeStep[], denyList: readonly string[], searchPath: () => Promise<string>): Promise<{ index: number; entry: string } | null> {
  if (denyList.length === 0) return null;
  const path = await searchPath();
  for (const [index, step] of steps.entries()) {
    const resolvedPath = await resolveExecutable(step.command, { searchPath: path, cwd: os.homedir() }).catch(() => null);
    const { deniedBy } = await checkPolicy(denyList, { command: step.command, args: step.args, shell: false, resolvedPath });
    if (deniedBy) return { index, entry: deniedBy };
  }
  return null;
}

/** The install as a reply: refused (throws) when nothing of it will run, else its job. */
function replyFor(snapshot: InstallSnapshot, facts: { duplicate: boolean; held: boolean; heldLimitReached: boolean }): InstallAccepted {
  return replyFrom(installReplyOf(snapshot), facts);
}
