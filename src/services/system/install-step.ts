import { fromCallback, type EventObject } from 'xstate';
import type { InstallStepInput, StepEvent } from '../../../machines/toolInstall.machine.js';
import type { Bus } from '../../bus/bus.js';
import type { Subjects } from '../../bus/subjects.js';
import { BridgeError, type ErrorCode } from '../../contract/errors.js';
import type { EventData } from '../../contract/events.js';
import type { RunSummary } from '../../contract/routes/commands.js';
import { newId } from '../session/token.js';

/** What `internal('commands.start')` answers (the execute reply). */
interface StartReply {
  runId: string;
  state: string;
  promptId?: string;
}

const START_TIMEOUT_MS = 30_000;
const ENDINGS = new Set(['system.command.completed', 'system.command.failed', 'system.command.terminated']);

/**
 * The tool-install machine's `installStep` actor: starts one recipe step as a command run of kind
 * `install` through the command-run service (so it goes through the permission authority, always
 * prompts, and is supervised, listed and killable like any run), then follows the run's events:
 * its prompt, start and end, and its output, re-announced as `system.tool.install_output`.
 */
export function installStepActor(deps: { bus: Bus; subjects: Subjects }) {
  const { bus, subjects } = deps;
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
    const template = { command: step.command, args: step.args };
    bus
      .request<StartReply>(
        subjects.internal('commands.start'),
        {
          ...template,
          template,
          title: `Install ${input.tool} (step ${input.index + 1} of ${input.stepCount})`,
          reason: input.reason ?? `Install ${input.tool} with ${input.packageManager}.`,
          timeoutMs: input.timeoutMs,
          requestedBy: input.requestedBy,
          subjectKind: 'install',
          whitelistAllowed: false,
          runId,
          details: {
            installId: input.installId,
            tool: input.tool,
            variantId: input.variantId,
            packageManager: input.packageManager,
            requiresElevation: input.requiresElevation,
            steps: input.steps,
          },
        },
        { timeoutMs: START_TIMEOUT_MS },
      )
      .then(
        (reply) => {
          if (reply.state === 'awaiting_permission' && reply.promptId) send({ type: 'step.prompted', index: input.index, runId, promptId: reply.promptId });
        },
        (error: unknown) => {
          const code: ErrorCode = error instanceof BridgeError ? error.code : 'unavailable';
          const message = error instanceof Error ? error.message : String(error);
          send({ type: 'step.ended', index: input.index, runId: null, state: code === 'bridge_policy_denied' ? 'rejected' : 'failed', errorCode: code, message, exitCode: null, signal: null, durationMs: 0 });
        },
      );

    return () => {
      ended = true;
      follow.unsubscribe();
    };
  });
}

function endedFrom(index: number, run: RunSummary): StepEvent {
  const state = run.state === 'completed' || run.state === 'failed' || run.state === 'rejected' || run.state === 'timed_out' || run.state === 'terminated' || run.state === 'interrupted' ? run.state : 'failed';
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
  };
}
