import { waitFor, type AnyActorRef } from 'xstate';
import type { ToolInstallContext } from '../../../machines/toolInstall.machine.js';
import type { Subjects } from '../../bus/subjects.js';
import { BridgeError } from '../../contract/errors.js';
import { sharesScope, type Principal } from '../../contract/principal.js';
import type { RunDetails, RunState, RunSummary } from '../../contract/routes/commands.js';
import type { ServiceContext } from '../service-context.js';
import type { InstallJobs } from './install-jobs.js';
import { installRunState, type InstallSnapshot } from './install-run-view.js';
import type { StoredInstallJob } from '../../storage/install-jobs-repository.js';

/**
 * The install jobs' side of the runs routes. The web app knows every job by the bridge's id and
 * by its `requestId`, installs included: the commands service hands it what it does not know
 * (`isInstallJobId`) through these subjects.
 */
export const installJobSubjects = (subjects: Subjects) => ({
  /** `{ principal, runId, waitMs }` → the install as run details (long-polled up to `waitMs`). */
  get: subjects.internal('installs.jobs.get'),
  /** `{ principal, runId }` → `{ runId, state }` once terminated. */
  terminate: subjects.internal('installs.jobs.terminate'),
  /** `{ principal, requestId }` → `{ runs }`: the install of that `requestId`, if any. */
  byRequest: subjects.internal('installs.jobs.by-request'),
});

/** Install job ids (`inst_…`); run ids never look like this. */
export function isInstallJobId(id: string): boolean {
  return id.startsWith('inst_');
}

/** How long a terminate waits for the step's process tree beyond the kill grace period. */
const TERMINATE_MARGIN_MS = 5_000;

export function serveInstallJobs(ctx: ServiceContext, jobs: InstallJobs) {
  const { bus, subjects, runtime, config } = ctx;
  const api = installJobSubjects(subjects);
  const liveInstall = (id: string): AnyActorRef | undefined => {
    const ref = runtime.child(id);
    return (ref?.getSnapshot() as { machine?: { id?: string } } | undefined)?.machine?.id === 'toolInstall' ? ref : undefined;
  };
  /** The install the caller may see: a session its own origin's, the local UI all. */
  const visible = (principal: Principal, id: unknown): StoredInstallJob => {
    const record = typeof id === 'string' ? jobs.get(id) : undefined;
    const owner = record ? record.details.requestedBy : null;
    if (!record || !owner || !sharesScope(principal, owner)) throw new BridgeError('not_found', `No run ${String(id)}.`);
    return record;
  };

  const subscriptions = [
    bus.serve(api.get, async (data): Promise<RunDetails> => {
      const { principal, runId, waitMs } = data as { principal: Principal; runId: string; waitMs?: number };
      visible(principal, runId);
      const ref = liveInstall(runId);
      if (ref && typeof waitMs === 'number' && waitMs > 0) await waitFor(ref, (s) => s.status === 'done', { timeout: waitMs }).catch(() => {});
      return jobs.get(runId)!.details;
    }),

    bus.serve(api.terminate, async (data): Promise<{ runId: string; state: RunState }> => {
      const { principal, runId } = data as { principal: Principal; runId: string };
      const record = visible(principal, runId);
      const ref = liveInstall(runId);
      if (!ref) {
        const state = record.details.state;
        if (state === 'terminated') return { runId, state };
        throw new BridgeError('conflict', `The install already ended ${state}.`, { details: { state } });
      }
      const snapshot = ref.getSnapshot() as InstallSnapshot;
      const context = snapshot.context as ToolInstallContext;
      if (snapshot.matches('awaiting_permission')) ref.send({ type: 'install.terminate' });
      else if (snapshot.matches('running') && context.runIds[context.step]) {
        // The running step is a run: terminated as one, its end ends the install `terminated`.
        await bus.request(subjects.rpc('system.commands.runs.terminate'), { principal: { kind: 'ui' }, params: { runId: context.runIds[context.step] }, query: {}, body: undefined }, { timeoutMs: config.current.killGraceMs + TERMINATE_MARGIN_MS }).catch(() => {});
      }
      const ended = await waitFor(ref, (s) => s.status === 'done', { timeout: config.current.killGraceMs + TERMINATE_MARGIN_MS });
      const state = installRunState(ended as InstallSnapshot);
      if (state !== 'terminated') throw new BridgeError('conflict', `The install ended ${state} before it could be terminated.`, { details: { state } });
      return { runId, state };
    }),

    bus.serve(api.byRequest, (data): { runs: RunSummary[] } => {
      const { principal, requestId } = data as { principal: Principal; requestId: string };
      const found = typeof requestId === 'string' ? jobs.byRequest(principal, requestId) : undefined;
      if (!found) return { runs: [] };
      const { stdout: _stdout, stderr: _stderr, interleaving: _interleaving, ...summary } = found.details;
      return { runs: [summary] };
    }),
  ];

  return {
    unsubscribe() {
      for (const subscription of subscriptions) subscription.unsubscribe();
    },
  };
}
