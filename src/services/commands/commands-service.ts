import { statSync } from 'node:fs';
import { waitFor, type AnyActorRef, type SnapshotFrom } from 'xstate';
import { z } from 'zod';
import { BridgeError } from '../../contract/errors.js';
import { principalSchema, principalScope, sharesScope, type Principal } from '../../contract/principal.js';
import {
  EXECUTE_HOLD_MAX_MS,
  FINAL_RUN_STATES,
  checkExecuteIsInstance,
  commandPairOf,
  commandTemplateSchema,
  executeFieldsSchema,
  runKindSchema,
  runTitleOf,
  type CommandPair,
  type ExecuteAccepted,
  type ExecuteFields,
  type RunDetails,
  type RunState,
  type RunSummary,
} from '../../contract/routes/commands.js';
import { resourceIdSchema } from '../../contract/routes/common.js';
import { ROUTES } from '../../contract/routes/index.js';
import { normaliseJobContext } from '../../contract/routes/jobs.js';
import { promptDetailsSchema } from '../../contract/routes/permissions.js';
import { commandMismatches } from '../../contract/template-instance.js';
import { runStateOf, runSummary, type commandRunMachine, type RunContext, type RunInput } from '../../../machines/commandRun.machine.js';
import type { ActorRuntime } from '../../runtime/actor-runtime.js';
import { isoAt } from '../../runtime/clock.js';
import { requestOriginOf, type RunScope, type RunsRepository } from '../../storage/runs-repository.js';
import { serveRoute } from '../serve-route.js';
import { newId } from '../session/token.js';
import type { RunningService, ServiceContext } from '../service-context.js';
import { installJobSubjects, isInstallJobId } from '../system/install-job-lookups.js';
import { heldRequestsOf } from './held-requests.js';
import { RETRY_AFTER_MS, acceptedReply, refusalOf, type ReplyFacts } from './job-reply.js';
import type { RunOutputs } from './run-outputs.js';
import type { RunSlots } from './run-slots.js';

/**
 * `internal('commands.start')`: how other services start a run (the tool-install capability runs
 * each install step as `subjectKind: 'install', whitelistAllowed: false`). The body is the execute
 * body (flat fields; an internal caller may pass the `{ command, args, cwd, env, stdin }` template
 * as `template` instead of the `…Template` twins) plus who asked (`requestedBy`), the kind, whether
 * a whitelist rule may allow it, an optional `runId` to use (subject-safe, unused) and optional
 * prompt `details`; the reply is the execute reply. Refusals are the same `BridgeError`s as over HTTP.
 */
export const internalStartSchema = executeFieldsSchema
  .extend({
    template: commandTemplateSchema.optional(),
    requestedBy: principalSchema,
    subjectKind: runKindSchema,
    whitelistAllowed: z.boolean(),
    runId: resourceIdSchema.optional(),
    details: promptDetailsSchema.optional(),
  })
  .superRefine((body, ctx) => {
    if (!body.template) return checkExecuteIsInstance(body, ctx);
    for (const mismatch of commandMismatches(commandPairOf(body).resolved, body.template)) {
      ctx.addIssue({ code: 'custom', path: ['template', ...mismatch.path], message: mismatch.message });
    }
  });
export type InternalStartRequest = z.input<typeof internalStartSchema>;

/** How long execute waits for the authority's verdict (a rule or policy answer, or "prompt opened") and the spawn. */
const DECIDING_TIMEOUT_MS = 20_000;
/** Extra time a terminate waits beyond the kill grace period for the tree to be gone. */
const TERMINATE_MARGIN_MS = 5_000;

type RunSnapshot = SnapshotFrom<typeof commandRunMachine>;

const isFinal = (state: string) => (FINAL_RUN_STATES as readonly string[]).includes(state);

/** The run as its actor's snapshot says, without live output counters. */
const summaryOf = (snapshot: RunSnapshot): RunSummary => runSummary(snapshot.context as RunContext, runStateOf(snapshot.value));

/** Past the moments that only last a tick: the verdict, the spawn, a slot that was free anyway. */
const settled = (s: RunSnapshot) =>
  !s.matches({ awaiting_permission: 'deciding' }) && !s.matches('starting') && !(s.matches('queued') && !s.context.queued);
const decided = (s: RunSnapshot) => settled(s) && !s.matches('awaiting_permission');

interface StartOptions {
  principal: Principal;
  kind: 'command' | 'install';
  whitelistAllowed: boolean;
  runId?: string;
  details?: RunInput['details'];
}

/** Command runs over HTTP (execute, list, details with long-poll, terminate) and on the bus. */
export function startCommandsService(ctx: ServiceContext, deps: { runs: RunsRepository; outputs: RunOutputs; slots: RunSlots }): RunningService {
  const { bus, subjects, runtime, clock, config } = ctx;
  const { runs, outputs, slots } = deps;
  const live = new Set<string>();
  // Shared with installs: both hold requests of the same browser.
  const held = heldRequestsOf(config);
  const now = () => isoAt(clock.now());

  /** A live run as its actor knows it now (with live output counters); undefined once it ended. */
  const liveSummary = (runId: string): RunSummary | undefined => {
    const snapshot = liveRun(runtime, runId)?.getSnapshot();
    if (!snapshot || snapshot.status !== 'active') return undefined;
    const live = summaryOf(snapshot as RunSnapshot);
    const totals = outputs.get(runId)?.totals();
    return totals ? { ...live, stdoutBytes: totals.stdoutBytes, stderrBytes: totals.stderrBytes, partialOutput: totals.partialOutput } : live;
  };
  /** A live run as its actor knows it now, else as stored. */
  const current = (runId: string): RunSummary | undefined => liveSummary(runId) ?? runs.get(runId);

  /** A run the caller may see: a session sees its own origin's runs only, the local UI all. */
  const visible = (principal: Principal, runId: string): RunSummary => {
    const run = current(runId);
    if (!run || !sharesScope(principal, run.requestedBy)) throw new BridgeError('not_found', `No run ${runId}.`);
    return run;
  };

  /** Spawns the run actor; throws only for requests that cannot become a run at all. */
  const spawnRun = (body: ExecuteFields, pair: CommandPair, options: StartOptions): { runId: string; ref: AnyActorRef } => {
    if (slots.full) {
      throw new BridgeError('rate_limited', `All ${config.current.maxConcurrentRuns} run slots are taken and ${config.current.maxQueuedRuns} runs already wait; try again later.`, {
        details: { retryAfterMs: RETRY_AFTER_MS, maxConcurrentRuns: config.current.maxConcurrentRuns, maxQueuedRuns: config.current.maxQueuedRuns },
      });
    }
    if (pair.resolved.cwd !== undefined && !isDirectory(pair.resolved.cwd)) {
      // The message names the template: the resolved path may hold a secret.
      throw new BridgeError('invalid_request', `The working directory ${JSON.stringify(pair.template.cwd)} does not exist or is not a directory.`, {
        details: { field: 'workingDirectory' },
      });
    }
    // Only a caller's own runId can name an existing run: a fresh id is 96 random bits, and the
    // look-up it skips was a SQLite read on every execute (docs/performance.md, "Commands under load").
    const runId = options.runId ?? newId('run');
    if (options.runId !== undefined && (runtime.child(runId) || runs.get(runId))) throw new BridgeError('conflict', `A run ${runId} already exists.`);

    const input: RunInput = {
      runId,
      kind: options.kind,
      whitelistAllowed: options.whitelistAllowed && options.kind !== 'install',
      title: runTitleOf(body, pair.template),
      reason: body.reason ?? null,
      template: pair.template,
      resolved: pair.resolved,
      shell: body.shell,
      timeoutMs: body.timeoutMs,
      keepAwake: body.keepAwake,
      requestedBy: options.principal,
      createdAt: now(),
      details: options.details ?? null,
      requestId: body.requestId ?? null,
      context: normaliseJobContext(body.context),
    };
    // Remembered before anything can interleave: a repeat of this requestId finds this run.
    if (body.requestId !== undefined) runs.rememberRequest(requestOriginOf(options.principal), body.requestId, runId, input.createdAt);
    live.add(runId);
    const ref = runtime.spawn('commandRun', runId, input);
    ref.subscribe({ complete: () => live.delete(runId), error: () => live.delete(runId) });
    return { runId, ref };
  };

  /** The run as a reply: refused (throws), or accepted. */
  const replyFor = (snapshot: RunSnapshot, facts: ReplyFacts): ExecuteAccepted => {
    const context = snapshot.context as RunContext;
    const run = current(context.runId) ?? summaryOf(snapshot);
    const refusal = refusalOf(run);
    if (refusal) throw refusal;
    if (run.state === 'failed' && run.errorCode === 'unavailable') {
      throw new BridgeError('unavailable', run.errorMessage ?? 'The permission authority is not available.', { details: { runId: run.runId } });
    }
    return acceptedReply(run, facts);
  };

  /** The first job of a repeated requestId, if it is still remembered. */
  const repeated = (principal: Principal, requestId: string | undefined): ExecuteAccepted | undefined => {
    if (requestId === undefined) return undefined;
    const retention = config.current.requestIdRetentionMs;
    const runId = runs.findByRequest(requestOriginOf(principal), requestId, isoAt(clock.now() - retention));
    const run = runId ? current(runId) : undefined;
    if (!run) return undefined;
    const refusal = refusalOf(run);
    if (refusal) throw refusal;
    return acceptedReply(run, { duplicate: true, held: false, heldLimitReached: false });
  };

  /**
   * Execute: held until the user decides (never longer than the prompt lives, nor
   * EXECUTE_HOLD_MAX_MS) unless the client prefers `respond-async` or the session holds its cap.
   * A client that goes away changes nothing: the prompt stays, the run follows the answer.
   */
  const execute = async (body: ExecuteFields, pair: CommandPair, options: StartOptions & { respondAsync: boolean }): Promise<ExecuteAccepted> => {
    const first = repeated(options.principal, body.requestId);
    if (first) return first;
    const startedAt = clock.now();
    const { ref } = spawnRun(body, pair, options);
    let snapshot = (await waitFor(ref, settled, { timeout: DECIDING_TIMEOUT_MS })) as RunSnapshot;
    if (!snapshot.matches('awaiting_permission') || options.respondAsync) return replyFor(snapshot, { duplicate: false, held: false, heldLimitReached: false });

    const place = held.tryHold(options.principal);
    if (!place.held) return replyFor(snapshot, { duplicate: false, held: false, heldLimitReached: true });
    try {
      const holdMs = Math.max(0, EXECUTE_HOLD_MAX_MS - (clock.now() - startedAt));
      snapshot = (await waitFor(ref, decided, { timeout: holdMs }).catch(() => ref.getSnapshot())) as RunSnapshot;
    } finally {
      place.release();
    }
    return replyFor(snapshot, { duplicate: false, held: true, heldLimitReached: false });
  };

  const subscriptions = [
    serveRoute(bus, subjects, ROUTES.systemCommandsExecute, ({ principal, body, prefer }) =>
      execute(body, commandPairOf(body), { principal, kind: 'command', whitelistAllowed: true, respondAsync: prefer?.respondAsync ?? false }),
    ),

    bus.serve(subjects.internal('commands.start'), async (data) => {
      const parsed = internalStartSchema.safeParse(data);
      if (!parsed.success) throw new BridgeError('invalid_request', `Invalid commands.start request: ${z.prettifyError(parsed.error)}`);
      const { requestedBy, subjectKind, whitelistAllowed, runId, details, template, ...body } = parsed.data;
      const pair = template ? { template, resolved: commandPairOf(body).resolved } : commandPairOf(body);
      const options: StartOptions = { principal: requestedBy, kind: subjectKind, whitelistAllowed, ...(runId ? { runId } : {}), ...(details ? { details } : {}) };
      // Internal callers follow the run's events: they never hold for the decision.
      const { ref } = spawnRun(body, pair, options);
      return replyFor((await waitFor(ref, settled, { timeout: DECIDING_TIMEOUT_MS })) as RunSnapshot, { duplicate: false, held: false, heldLimitReached: false });
    }),

    serveRoute(bus, subjects, ROUTES.systemCommandsRunsList, async ({ principal, query }) => {
      const scope: RunScope = principal.kind === 'ui' ? 'all' : { origin: principalScope(principal) };
      // A requestId may name an install job, which the install service keeps.
      if (query.requestId !== undefined && !query.cursor) {
        const install = await bus.request<{ runs: RunSummary[] }>(installJobSubjects(subjects).byRequest, { principal, requestId: query.requestId }).catch(() => ({ runs: [] }));
        if (install.runs.length > 0) return { runs: install.runs, nextCursor: null };
      }
      const page = runs.list({
        ...(query.state ? { states: query.state } : {}),
        ...(query.requestId !== undefined ? { requestId: query.requestId } : {}),
        scope,
        limit: query.limit,
        ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
      });
      // A listed run that ended is as its row says; reading the row again cost more than the
      // rest of the list (docs/performance.md, round 14).
      return { runs: page.runs.map((run) => liveSummary(run.runId) ?? run), nextCursor: page.nextCursor };
    }),

    serveRoute(bus, subjects, ROUTES.systemCommandsRunsGet, async ({ principal, params, query }): Promise<RunDetails> => {
      if (isInstallJobId(params.runId)) return bus.request<RunDetails>(installJobSubjects(subjects).get, { principal, runId: params.runId, waitMs: query.waitMs }, { timeoutMs: query.waitMs + TERMINATE_MARGIN_MS });
      let run = visible(principal, params.runId);
      const ref = liveRun(runtime, params.runId);
      if (query.waitMs > 0 && !isFinal(run.state) && ref) {
        const ended = (await waitFor(ref, (s) => s.status === 'done', { timeout: query.waitMs }).catch(() => undefined)) as RunSnapshot | undefined;
        // An ended run's last snapshot is what its final state stored: not read back from SQLite.
        run = (ended ? summaryOf(ended) : current(params.runId)) ?? run;
      }
      const output = outputs.get(params.runId);
      const slice = (stream: 'stdout' | 'stderr') => {
        if (query.stream !== 'both' && query.stream !== stream) return null;
        if (output) return output[stream].slice(query.offset, query.limit);
        // Output lives in memory only: after a restart, or once evicted, only the counts remain.
        const total = stream === 'stdout' ? run.stdoutBytes : run.stderrBytes;
        return { offset: 0, data: '', nextOffset: 0, bufferedBytes: 0, totalBytes: total, ended: isFinal(run.state) };
      };
      // The summary spread last (its fields are not these): see initialRunContext for why.
      return { stdout: slice('stdout'), stderr: slice('stderr'), interleaving: output?.interleaving() ?? null, ...run };
    }),

    serveRoute(bus, subjects, ROUTES.systemCommandsRunsTerminate, async ({ principal, params }) => {
      if (isInstallJobId(params.runId)) return bus.request<{ runId: string; state: RunState }>(installJobSubjects(subjects).terminate, { principal, runId: params.runId }, { timeoutMs: config.current.killGraceMs + 2 * TERMINATE_MARGIN_MS });
      const run = visible(principal, params.runId);
      const ref = liveRun(runtime, params.runId);
      if (!ref) {
        if (run.state === 'terminated') return { runId: run.runId, state: run.state };
        throw new BridgeError('conflict', `The run already ended ${run.state}.`, { details: { state: run.state } });
      }
      ref.send({ type: 'run.terminate', at: now() });
      const state = await finalState(ref, config.current.killGraceMs + TERMINATE_MARGIN_MS);
      if (state !== 'terminated') throw new BridgeError('conflict', `The run ended ${state} before it could be terminated.`, { details: { state } });
      return { runId: params.runId, state };
    }),

    // A stopping bridge starts nothing more and interrupts its runs, queued ones too.
    bus.subscribe(subjects.event('bridge.stopping'), () => {
      slots.close();
      for (const runId of live) liveRun(runtime, runId)?.send({ type: 'run.interrupt', at: now() });
    }),
  ];

  runs.forgetRequestsBefore(isoAt(clock.now() - config.current.requestIdRetentionMs));

  return {
    stop() {
      for (const subscription of subscriptions) subscription.unsubscribe();
    },
  };
}

async function finalState(ref: AnyActorRef, timeoutMs: number): Promise<RunState> {
  const snapshot = await waitFor(ref, (s) => s.status === 'done', { timeout: timeoutMs });
  return runStateOf(snapshot.value);
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** The live actor `id` if it is a command run (ids are client input: it could name another actor). */
function liveRun(runtime: ActorRuntime, id: string): AnyActorRef | undefined {
  const ref = runtime.child(id);
  return (ref?.getSnapshot() as { machine?: { id?: string } } | undefined)?.machine?.id === 'commandRun' ? ref : undefined;
}
