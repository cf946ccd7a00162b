import type { RunState, RunSummary } from '../../src/contract/routes/commands.js';
import { jobStatusOf } from '../../src/contract/routes/jobs.js';

/** A run's summary as the bridge stores it, in `state`, with nothing decided or measured yet; `fields` override. */
export function runSummary(runId: string, state: RunState, fields: Partial<RunSummary> = {}): RunSummary {
  return {
    runId,
    kind: 'command',
    state,
    status: jobStatusOf(state),
    requestId: null,
    context: null,
    recoveryHint: null,
    title: 'A run',
    reason: 'a test',
    template: { command: 'echo', args: [] },
    shell: false,
    timeoutMs: 1000,
    keepAwake: false,
    requestedBy: { kind: 'ui' },
    promptId: null,
    ruleId: null,
    decisionId: null,
    awakeLock: null,
    pid: null,
    exitCode: null,
    signal: null,
    errorCode: null,
    errorMessage: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    startedAt: null,
    endedAt: null,
    durationMs: null,
    partialOutput: false,
    stdoutBytes: 0,
    stderrBytes: 0,
    ...fields,
  };
}
