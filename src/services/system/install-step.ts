import { fromCallback, type EventObject } from 'xstate';
import type { InstallStepInput, StepEvent } from '../../../machines/toolInstall.machine.js';
import type { Bus } from '../../bus/bus.js';
import type { Subjects } from '../../bus/subjects.js';
import { BridgeError, type ErrorCode } from '../../contract/errors.js';
import type { EventData } from '../../contract/events.js';
import type { RunSummary } from '../../contract/routes/commands.js';
import { newId } from '../session/token.js';
import type { InstallGrants } from './install-grants.js';

const START_TIMEOUT_MS = 30_000;
const ENDINGS = new Set(['system.command.completed', 'system.command.failed', 'system.command.terminated']);
const FAILURE_STATES = new Set(['failed', 'rejected', 'timed_out', 'terminated', 'interrupted']);

/**
 * The tool-install machine's `installStep` actor: grants the step the install's approval (for a
 * fresh run id, see install-grants.ts), starts it as a command run of kind `install` through the
 * command-run service (so it is supervised, listed and killable like any run, and its gate finds
 * the grant instead of prompting again), then follows the run's events: its start and end, and
 * its output, re-announced as `system.tool.install_output`.
 */
export function installStepActor(deps: { bus: Bus; subjects: Subjects; grants: InstallGrants }) {
  const { bus, subjects, grants } = deps;
  return fromCallback<EventObject, InstallStepInput>(({ input, sendBack }) => {
    const runId = newId('run');
    let ended = false;
    const send = (event: StepEvent) => {
      if (ended) return;
      if (event.type === 'step.ended') ended = true;
      sendBack(event);
    };
    const prefix = subjects.event('').length;
    // Subscribed before the run exists: its first events cannot be missed.
    const follow = bus.subscribe(subjects.event('system.command.*'), (message) => {
      const type = message.subject.slice(prefix);
      if (type === 'system.command.stdout' || type === 'system.command.stderr') {
        const chunk = message.data as EventData<'system.command.stdout'>;
        if (chunk.runId !== runId) return;
        bus.publish(subjects.event('system.tool.install_output'), {
          installId: input.installId,
          step: input.index,
          stream: type === 'system.command.stdout' ? 'stdout' : 'stderr',
          offset: chunk.offset,
          bytes: chunk.bytes,
          chunk: chunk.chunk,
        });
        return;
      }
      const run = message.data as RunSummary;
      if (run.runId !== runId) return;
      if (type === 'system.command.started') send({ type: 'step.started', index: input.index, runId, at: run.startedAt ?? run.createdAt });
      else if (ENDINGS.has(type)) send(endedFrom(input.index, run));
    });

    const { step } = input;
    grants.issue({ installId: input.installId, runId, step, decisionId: input.decisionId, promptId: input.promptId });
    const template = { command: step.command, args: step.args };
    bus
      .request(
        subjects.internal('commands.start'),
        {
          ...template,
          template,
          title: `Install ${input.tool} (step ${input.index + 1} of ${input.stepCount})`,
          reason: input.reason ?? `Install ${input.tool} with ${input.packageManager}.`,
          timeoutMs: input.timeoutMs,
          ...(input.context ? { context: withoutNulls(input.context) } : {}),
          requestedBy: input.requestedBy,
          subjectKind: 'install',
          whitelistAllowed: false,
          runId,
        },
        { timeoutMs: START_TIMEOUT_MS },
      )
      .then(() => send({ type: 'step.created', index: input.index, runId }))
      .catch((error: unknown) => {
        const code: ErrorCode = error instanceof BridgeError ? error.code : 'unavailable';
        const message = error instanceof Error ? error.message : String(error);
        send({ type: 'step.ended', index: input.index, runId: null, state: code === 'bridge_policy_denied' ? 'rejected' : 'failed', errorCode: code, message, exitCode: null, signal: null, durationMs: 0, recoveryHint: input.index === 0 ? 'spawn_failure' : null });
      });

    return () => {
      ended = true;
      follow.unsubscribe();
    };
  });
}

/** The stored context (absent fields null) as a request's, which leaves them out. */
function withoutNulls(context: Record<string, string | null>): Record<string, string> {
  return Object.fromEntries(Object.entries(context).filter((entry): entry is [string, string] => entry[1] !== null));
}

function endedFrom(index: number, run: RunSummary): StepEvent {
  const state = run.state === 'completed' || FAILURE_STATES.has(run.state) ? (run.state as Extract<StepEvent, { type: 'step.ended' }>['state']) : 'failed';
  return {
    type: 'step.ended',
    index,
    runId: run.runId,
    state,
    errorCode: run.errorCode,
    message: run.errorMessage,
    exitCode: run.exitCode,
    signal: run.signal,
    durationMs: run.durationMs ?? 0,
    recoveryHint: run.recoveryHint,
  };
}
