import os from 'node:os';
import { fromCallback } from 'xstate';
import type { Bus } from '../../bus/bus.js';
import { BusNoResponders } from '../../bus/errors.js';
import type { Subjects } from '../../bus/subjects.js';
import type { ConfigStore } from '../../config/config-store.js';
import type { AwakeInput, GateInput, ProcessInput, RunEvent, SlotInput, commandRunMachine } from '../../../machines/commandRun.machine.js';
import type { ChildEnvironments } from '../../processes/child-env.js';
import type { ProcessHandlers, ProcessRunner, ProcessSpec, RunningProcess } from '../../processes/process-runner.js';
import { resolveExecutable } from '../../processes/resolve-executable.js';
import type { Clock } from '../../runtime/clock.js';
import { isoAt } from '../../runtime/clock.js';
import type { RunsRepository } from '../../storage/runs-repository.js';
import { gateWithInstallGrant } from '../system/install-grants.js';
import { permissionSubjects, type PermissionOutcome, type PermissionRequest, type PermissionVerdict } from '../permissions/permission-api.js';
import { checkPolicy } from '../permissions/policy.js';
import type { RunOutputs } from './run-outputs.js';
import type { RunSlots } from './run-slots.js';
import { awakeSubjects, type AwakeAcquireReply, type AwakeAcquireRequest, type AwakeReleaseRequest } from '../awake/awake-api.js';

type RunImplementations = Parameters<(typeof commandRunMachine)['provide']>[0];

export interface RunEffectsDeps {
  bus: Bus;
  subjects: Subjects;
  config: ConfigStore;
  clock: Clock;
  runner: ProcessRunner;
  runs: RunsRepository;
  outputs: RunOutputs;
  /** The slots under `maxConcurrentRuns` and the queue of runs waiting for one. */
  slots: RunSlots;
  /** The login-shell PATH (resolved once, lazily). */
  searchPath: () => Promise<string>;
  /** The user's login shell, for `shell: true` runs; null uses the platform's own (`/bin/sh`, `cmd.exe`). */
  loginShell: string | null;
  /** Values no child may ever see in its environment (the UI token). */
  secrets: () => readonly string[];
  /** Children's environments, from the one the bridge started with. */
  environments: ChildEnvironments;
}

/** How long the gate waits for the authority's first answer (not for the user: that is the prompt). */
const AUTHORITY_TIMEOUT_MS = 15_000;

/** The effects of a command run actor: the permission gate, the process, the awake lock, the store. */
export function runEffects(deps: RunEffectsDeps): RunImplementations {
  const at = () => isoAt(deps.clock.now());
  return {
    actors: {
      permissionGate: fromCallback<RunEvent, GateInput>(({ input, sendBack }) =>
        // An install step runs under its install's one approval, granted to exactly this run.
        gateWithInstallGrant(
          deps,
          input,
          (grant) => sendBack({ type: 'permission.allowed', decidedBy: 'user', ruleId: null, promptId: grant.promptId, decisionId: grant.decisionId, at: at() }),
          () => permissionGate(deps, input, sendBack, at),
        ),
      ),
      process: fromCallback<{ type: 'process.kill' }, ProcessInput>(({ input, sendBack, receive }) => runProcess(deps, input, sendBack, receive, at)),
      awakeLock: fromCallback<RunEvent, AwakeInput>(({ input, sendBack }) => holdAwakeLock(deps, input, sendBack)),
      slot: fromCallback<RunEvent, SlotInput>(({ input, sendBack }) => holdSlot(deps, input, sendBack, at)),
    },
    actions: {
      persist: (_, run) => deps.runs.save(run),
    },
  };
}

/**
 * Talks to the permission authority through `permission-api.ts`: subscribe to the outcome, then
 * request. Stopped while its prompt is still open (the run was terminated), it withdraws it.
 */
function permissionGate(deps: RunEffectsDeps, input: GateInput, sendBack: (event: RunEvent) => void, at: () => string) {
  const api = permissionSubjects(deps.subjects);
  // Asking the login shell for its PATH takes seconds on some machines: start while the user decides.
  void deps.searchPath();
  let disposed = false;
  let settled = false;
  let promptId: string | null = null;
  const send = (event: RunEvent) => {
    if (!disposed) sendBack(event);
  };

  const outcomes = deps.bus.subscribe(api.outcome(input.subjectId), (message) => {
    const outcome = message.data as PermissionOutcome;
    if (settled) return;
    settled = true;
    if (outcome.outcome === 'allowed') {
      send({ type: 'permission.allowed', decidedBy: 'user', ruleId: outcome.ruleId, promptId: outcome.promptId, decisionId: outcome.decisionId, at: at() });
    } else {
      const message = outcome.code === 'permission_timeout' ? 'Nobody answered the permission prompt before it expired.' : 'The user rejected the command.';
      send({ type: 'permission.rejected', code: outcome.code, promptId: outcome.promptId, decisionId: outcome.decisionId, message, at: at() });
    }
  });

  const request: PermissionRequest = {
    subjectKind: input.subjectKind,
    subjectId: input.subjectId,
    template: input.template,
    shell: input.shell,
    title: input.title,
    reason: input.reason,
    requestedBy: input.requestedBy,
    whitelistAllowed: input.whitelistAllowed,
    ...(input.details ? { details: input.details } : {}),
    context: input.context,
  };
  deps.bus.request<PermissionVerdict>(api.request, request, { timeoutMs: AUTHORITY_TIMEOUT_MS }).then(
    (verdict) => {
      if (verdict.outcome === 'allowed') {
        settled = true;
        send({ type: 'permission.allowed', decidedBy: 'rule', ruleId: verdict.ruleId, promptId: null, decisionId: verdict.decisionId, at: at() });
      } else if (verdict.outcome === 'denied') {
        settled = true;
        send({
          type: 'permission.rejected',
          code: 'bridge_policy_denied',
          promptId: null,
          decisionId: verdict.decisionId,
          message: `The bridge policy forbids this command (deny list entry ${JSON.stringify(verdict.policy)}).`,
          at: at(),
        });
      } else {
        promptId = verdict.promptId;
        if (!settled) send({ type: 'permission.pending', promptId: verdict.promptId, expiresAt: verdict.expiresAt });
      }
    },
    (error: unknown) => {
      settled = true;
      const message = error instanceof BusNoResponders ? 'No permission authority is running.' : `The permission check failed: ${errorMessage(error)}`;
      send({ type: 'permission.failed', message, at: at() });
    },
  );

  return () => {
    disposed = true;
    outcomes.unsubscribe();
    if (promptId && !settled) deps.bus.request(api.cancel, { promptId }).catch(() => {});
  };
}

/** Starts the process with the resolved values (they go nowhere else) and owns it until it exits. */
function runProcess(
  deps: RunEffectsDeps,
  input: ProcessInput,
  sendBack: (event: RunEvent) => void,
  receive: (listener: (event: { type: 'process.kill' }) => void) => void,
  at: () => string,
) {
  let disposed = false;
  let killRequested = false;
  let running: RunningProcess | undefined;
  const grace = () => deps.config.current.killGraceMs;
  const output = deps.outputs.open(input.runId);
  const exited = (spawnError: string) => {
    output.end();
    deps.outputs.finish(input.runId);
    if (!disposed) sendBack({ type: 'process.exited', exitCode: null, signal: null, spawnError, output: output.totals(), at: at() });
  };

  void (async () => {
    const searchPath = await deps.searchPath();
    const { resolved } = input;
    const cwd = resolved.cwd ?? os.homedir();
    // The decision was taken on the template; a resolved executable on the deny list still never runs.
    const denyList = deps.config.current.denyList;
    if (denyList.length > 0) {
      const resolvedPath = input.shell ? null : await resolveExecutable(resolved.command, { searchPath, cwd }).catch(() => null);
      const verdict = await checkPolicy(denyList, { command: resolved.command, args: resolved.args, shell: input.shell, resolvedPath });
      if (verdict.deniedBy) return exited('denied by the bridge policy');
    }
    if (disposed) return exited('the run ended before its process started');
    const env = deps.environments.build({ loginPath: searchPath, ...(resolved.env ? { requested: resolved.env } : {}), secrets: deps.secrets() });
    await deps.runner.prepare?.();
    if (disposed) return exited('the run ended before its process started');
    // Spawned off this thread where the runner can: a spawn blocks its thread for milliseconds.
    const spawn = deps.runner.spawn ? deps.runner.spawn.bind(deps.runner) : (spec: ProcessSpec, handlers: ProcessHandlers) => Promise.resolve(deps.runner.start(spec, handlers));
    running = await spawn(
      {
        command: resolved.command,
        args: resolved.args,
        cwd,
        env,
        ...(resolved.stdin !== undefined ? { stdin: resolved.stdin } : {}),
        shell: input.shell ? (deps.loginShell ?? true) : false,
      },
      {
        onOutput: (stream, chunk) => output.write(stream, chunk),
        onExit: (exit) => {
          output.end();
          deps.outputs.finish(input.runId);
          if (!disposed) sendBack({ type: 'process.exited', ...exit, output: output.totals(), at: at() });
        },
      },
    );
    if (running.pid !== undefined && !disposed) sendBack({ type: 'process.spawned', pid: running.pid, at: at() });
    if (killRequested || disposed) void running.kill(grace());
  })().catch(() => exited('EINTERNAL'));

  receive(() => {
    killRequested = true;
    void running?.kill(grace());
  });
  // Stopped with the process alive (the bridge is stopping): kill the tree.
  return () => {
    disposed = true;
    void running?.kill(grace());
  };
}

/** Waits for a run slot and holds it until the run ends (the actor stops with the run). */
function holdSlot(deps: RunEffectsDeps, input: SlotInput, sendBack: (event: RunEvent) => void, at: () => string) {
  let disposed = false;
  const { outcome, position, release } = deps.slots.acquire(input.runId, () => {
    if (!disposed) sendBack({ type: 'slot.granted' });
  });
  if (outcome === 'granted') sendBack({ type: 'slot.granted' });
  else if (outcome === 'waiting') sendBack({ type: 'slot.waiting', position });
  else {
    const { maxConcurrentRuns, maxQueuedRuns } = deps.config.current;
    sendBack({ type: 'slot.refused', message: `All ${maxConcurrentRuns} run slots are taken and ${maxQueuedRuns} runs already wait; try again later.`, at: at() });
  }
  return () => {
    disposed = true;
    release();
  };
}

/**
 * Holds an awake lock while it lives, through the awake capability's bus API (awake-api.ts). A run
 * never fails for want of a lock: with no awake service, or none that can inhibit sleep here, it
 * goes on and its `awakeLock.note` says why nothing was held.
 */
function holdAwakeLock(deps: RunEffectsDeps, input: AwakeInput, sendBack: (event: RunEvent) => void) {
  const api = awakeSubjects(deps.subjects);
  const release = (lockId: string) => deps.bus.request(api.release, { lockId, cause: 'run_ended' } satisfies AwakeReleaseRequest).catch(() => {});
  let disposed = false;
  let lockId: string | null = null;
  const request: AwakeAcquireRequest = { reason: input.reason.slice(0, 500), holder: input.holder, runId: input.runId };
  deps.bus.request<AwakeAcquireReply>(api.acquire, request).then(
    (reply) => {
      if (disposed) return void release(reply.lockId);
      lockId = reply.lockId;
      sendBack({ type: 'awake.held', lockId: reply.lockId, note: reply.supported ? null : 'Held, but nothing can keep this machine awake (see GET /api/v1/awake/status).' });
    },
    (error: unknown) => {
      if (disposed) return;
      const note = error instanceof BusNoResponders ? 'No awake service answered; the run went on without a lock.' : `No awake lock: ${errorMessage(error)}`;
      sendBack({ type: 'awake.unavailable', note });
    },
  );
  return () => {
    disposed = true;
    if (lockId) void release(lockId);
  };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
