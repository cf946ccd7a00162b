import { statSync } from 'node:fs';
import { waitFor, type AnyActorRef } from 'xstate';
import { z } from 'zod';
import { BridgeError } from '../../contract/errors.js';
import { principalSchema, type Principal } from '../../contract/principal.js';
import { FINAL_RUN_STATES, executeFieldsSchema, checkTemplateMatches, runKindSchema, type RunDetails, type RunState, type RunSummary } from '../../contract/routes/commands.js';
import { resourceIdSchema } from '../../contract/routes/common.js';
import { ROUTES } from '../../contract/routes/index.js';
import { promptDetailsSchema } from '../../contract/routes/permissions.js';
import { runStateOf, runSummary, type RunContext, type RunInput } from '../../../machines/commandRun.machine.js';
import type { ActorRuntime } from '../../runtime/actor-runtime.js';
import { isoAt } from '../../runtime/clock.js';
import type { RunsRepository } from '../../storage/runs-repository.js';
import { serveRoute } from '../serve-route.js';
import { newId } from '../session/token.js';
import type { RunningService, ServiceContext } from '../service-context.js';
import type { RunOutputs } from './run-outputs.js';

type ExecuteBody = z.output<typeof executeFieldsSchema>;

/**
 * `internal('commands.start')`: how other services start a run (the tool-install capability runs
 * each install as `subjectKind: 'install', whitelistAllowed: false`). The body is the execute
 * body plus who asked (`requestedBy`), the kind, whether a whitelist rule may allow it, an
 * optional `runId` to use (subject-safe, unused) and optional prompt `details`; the reply is the
 * execute reply. Rejections come back as the same `BridgeError`s as over HTTP.
 */
export const internalStartSchema = executeFieldsSchema
  .extend({
    requestedBy: principalSchema,
    subjectKind: runKindSchema,
    whitelistAllowed: z.boolean(),
    runId: resourceIdSchema.optional(),
    details: promptDetailsSchema.optional(),
  })
  .superRefine((body, ctx) => checkTemplateMatches(body, ctx));
export type InternalStartRequest = z.input<typeof internalStartSchema>;

/** How long execute waits for the authority's verdict (a rule or policy answer, or "prompt opened") and the spawn. */
const DECIDING_TIMEOUT_MS = 20_000;
/** Extra time a terminate waits beyond the kill grace period for the tree to be gone. */
const TERMINATE_MARGIN_MS = 5_000;

const isFinal = (state: string) => (FINAL_RUN_STATES as readonly string[]).includes(state);

/** Command runs over HTTP (execute, list, details with long-poll, terminate) and on the bus. */
export function startCommandsService(ctx: ServiceContext, deps: { runs: RunsRepository; outputs: RunOutputs }): RunningService {
  const { bus, subjects, runtime, clock, config } = ctx;
  const { runs, outputs } = deps;
  const live = new Set<string>();

  /** A live run as its actor knows it now (with live output counters), else as stored. */
  const current = (runId: string): RunSummary | undefined => {
    const snapshot = liveRun(runtime, runId)?.getSnapshot();
    if (!snapshot || snapshot.status !== 'active') return runs.get(runId);
    const live = runSummary(snapshot.context as RunContext, runStateOf(snapshot.value));
    const totals = outputs.get(runId)?.totals();
    return totals ? { ...live, stdoutBytes: totals.stdoutBytes, stderrBytes: totals.stderrBytes, partialOutput: totals.partialOutput } : live;
  };

  const startRun = async (
    body: ExecuteBody,
    options: { principal: Principal; kind: 'command' | 'install'; whitelistAllowed: boolean; runId?: string; details?: RunInput['details'] },
  ) => {
    if (live.size >= config.current.maxConcurrentRuns) {
      throw new BridgeError('rate_limited', `At most ${config.current.maxConcurrentRuns} runs may be live at once; wait for one to end.`, {
        details: { retryAfterMs: 1_000, maxConcurrentRuns: config.current.maxConcurrentRuns },
      });
    }
    if (body.cwd !== undefined && !isDirectory(body.cwd)) {
      // The message names the template: the resolved path may hold a secret.
      throw new BridgeError('invalid_request', `The working directory ${JSON.stringify(body.template.cwd)} does not exist or is not a directory.`, { details: { field: 'cwd' } });
    }
    const runId = options.runId ?? newId('run');
    if (runtime.child(runId) || runs.get(runId)) throw new BridgeError('conflict', `A run ${runId} already exists.`);

    const input: RunInput = {
      runId,
      kind: options.kind,
      whitelistAllowed: options.whitelistAllowed && options.kind !== 'install',
      title: body.title,
      reason: body.reason,
      template: body.template,
      resolved: {
        command: body.command,
        args: body.args,
        ...(body.cwd !== undefined ? { cwd: body.cwd } : {}),
        ...(body.env !== undefined ? { env: body.env } : {}),
        ...(body.stdin !== undefined ? { stdin: body.stdin } : {}),
      },
      shell: body.shell,
      timeoutMs: body.timeoutMs,
      keepAwake: body.keepAwake,
      requestedBy: options.principal,
      createdAt: isoAt(clock.now()),
      details: options.details ?? null,
    };
    live.add(runId);
    const ref = runtime.spawn('commandRun', runId, input);
    ref.subscribe({ complete: () => live.delete(runId), error: () => live.delete(runId) });

    // The reply gives the state once the run left `starting`: awaiting a person, running, or already over.
    const snapshot = await waitFor(ref, (s) => !s.matches({ awaiting_permission: 'deciding' }) && !s.matches('starting'), { timeout: DECIDING_TIMEOUT_MS });
    const context = snapshot.context as RunContext;
    const state = runStateOf(snapshot.value);
    if (state === 'rejected' && context.errorCode === 'bridge_policy_denied') {
      throw new BridgeError('bridge_policy_denied', context.errorMessage ?? 'The bridge policy forbids this command.', { details: { runId, decisionId: context.decisionId } });
    }
    if (state === 'failed' && context.errorCode === 'unavailable') {
      throw new BridgeError('unavailable', context.errorMessage ?? 'The permission authority is not available.', { details: { runId } });
    }
    return {
      runId,
      state,
      ...(state === 'awaiting_permission' && context.promptId ? { promptId: context.promptId } : {}),
      ...(context.ruleId ? { ruleId: context.ruleId } : {}),
    };
  };

  const subscriptions = [
    serveRoute(bus, subjects, ROUTES.systemCommandsExecute, ({ principal, body }) =>
      startRun(body, { principal, kind: 'command', whitelistAllowed: true }),
    ),

    bus.serve(subjects.internal('commands.start'), (data) => {
      const parsed = internalStartSchema.safeParse(data);
      if (!parsed.success) throw new BridgeError('invalid_request', `Invalid commands.start request: ${z.prettifyError(parsed.error)}`);
      const { requestedBy, subjectKind, whitelistAllowed, runId, details, ...body } = parsed.data;
      return startRun(body, { principal: requestedBy, kind: subjectKind, whitelistAllowed, ...(runId ? { runId } : {}), ...(details ? { details } : {}) });
    }),

    serveRoute(bus, subjects, ROUTES.systemCommandsRunsList, ({ query }) => {
      const page = runs.list({ ...(query.state ? { states: query.state } : {}), limit: query.limit, ...(query.cursor !== undefined ? { cursor: query.cursor } : {}) });
      return { runs: page.runs.map((run) => current(run.runId) ?? run), nextCursor: page.nextCursor };
    }),

    serveRoute(bus, subjects, ROUTES.systemCommandsRunsGet, async ({ params, query }): Promise<RunDetails> => {
      let run = current(params.runId);
      if (!run) throw new BridgeError('not_found', `No run ${params.runId}.`);
      const ref = liveRun(runtime, params.runId);
      if (query.waitMs > 0 && !isFinal(run.state) && ref) {
        await waitFor(ref, (s) => s.status === 'done', { timeout: query.waitMs }).catch(() => {});
        run = current(params.runId) ?? run;
      }
      const output = outputs.get(params.runId);
      const slice = (stream: 'stdout' | 'stderr') => {
        if (query.stream !== 'both' && query.stream !== stream) return null;
        if (output) return output[stream].slice(query.offset, query.limit);
        // Output lives in memory only: after a restart, or once evicted, only the counts remain.
        const total = stream === 'stdout' ? run.stdoutBytes : run.stderrBytes;
        return { offset: 0, data: '', nextOffset: 0, bufferedBytes: 0, totalBytes: total, ended: isFinal(run.state) };
      };
      return { ...run, stdout: slice('stdout'), stderr: slice('stderr'), interleaving: output?.interleaving() ?? null };
    }),

    serveRoute(bus, subjects, ROUTES.systemCommandsRunsTerminate, async ({ params }) => {
      const ref = liveRun(runtime, params.runId);
      if (!ref) {
        const run = runs.get(params.runId);
        if (!run) throw new BridgeError('not_found', `No run ${params.runId}.`);
        if (run.state === 'terminated') return { runId: run.runId, state: run.state };
        throw new BridgeError('conflict', `The run already ended ${run.state}.`, { details: { state: run.state } });
      }
      ref.send({ type: 'run.terminate', at: isoAt(clock.now()) });
      const state = await finalState(ref, config.current.killGraceMs + TERMINATE_MARGIN_MS);
      if (state !== 'terminated') throw new BridgeError('conflict', `The run ended ${state} before it could be terminated.`, { details: { state } });
      return { runId: params.runId, state };
    }),

    // A stopping bridge interrupts its runs: they end `interrupted` and their trees are killed.
    bus.subscribe(subjects.event('bridge.stopping'), () => {
      for (const runId of live) liveRun(runtime, runId)?.send({ type: 'run.interrupt', at: isoAt(clock.now()) });
    }),
  ];

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
