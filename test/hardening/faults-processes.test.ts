import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  concurrentForkBombs,
  dyingInhibitor,
  FAULT_LIMITS,
  FORK_BOMB,
  forkBomb,
  mcpCrashMidCall,
  mcpHangingCall,
  mcpHangingInitialize,
  sigtermIgnoringRun,
  startFaultBridge,
  type FaultBridge,
  type FaultOutcome,
} from './workloads/faults.js';

/**
 * Process faults against the real bridge (the CLI as a subprocess): each ends in its documented
 * state, leaves no process (/proc: the bridge's descendants and the case's own pids) and no
 * descriptor (the bridge's /proc/<pid>/fd, back at its idle baseline once settled).
 *
 * Already proven elsewhere, not repeated here: a `trap '' TERM` shell tree is SIGKILLed after the
 * grace (test/e2e/commands-process-tree.test.ts), a stdio server SIGKILLed mid-session is
 * restarted and one that exits at once ends failed (test/e2e/mcp-stdio.test.ts), one inhibitor
 * death is restarted and the bridge's stop ends it (test/e2e/awake.test.ts), the 429 itself
 * (test/services/commands/commands-service.test.ts, with the in-memory runner).
 */
describe.runIf(process.platform === 'linux')('process faults end in a documented state, leaking nothing', () => {
  let fb: FaultBridge;
  beforeAll(async () => {
    fb = await startFaultBridge();
  }, 120_000);
  afterAll(async () => {
    await fb?.close();
  });

  const expectClean = (outcome: FaultOutcome) => {
    expect(outcome.aliveAtReply, outcome.fault).toEqual([]);
    expect(outcome.leaked, outcome.fault).toEqual([]);
    expect({ fdDelta: outcome.fdDelta, fdExtra: outcome.fdExtra }, outcome.fault).toEqual({ fdDelta: expect.toSatisfy((n: number) => n <= 0), fdExtra: [] });
  };

  it('terminates a child and grandchild that ignore SIGTERM with SIGKILL after the grace period', async () => {
    const outcome = await sigtermIgnoringRun(fb);
    expect(outcome.endState).toBe('terminated (signal SIGKILL)');
    expectClean(outcome);
  });

  it('kills the whole tree of a fork bomb on terminate and on timeout', async () => {
    const terminated = await forkBomb(fb, FORK_BOMB.children, 'terminate');
    expect(terminated.endState).toBe('terminated (signal SIGTERM)');
    expect(terminated.figures.peakProcesses).toBeGreaterThan(FORK_BOMB.children);
    expectClean(terminated);

    const timedOut = await forkBomb(fb, FORK_BOMB.children, 'timeout');
    expect(timedOut.endState).toBe('timed_out (signal SIGTERM)');
    expectClean(timedOut);
  });

  it('never has more than maxConcurrentRuns run trees alive, refusing the excess with 429 when the queue is full, even when shells leave their children behind', async () => {
    const outcome = await concurrentForkBombs(fb, FORK_BOMB.requests, FORK_BOMB.waves);
    expect(outcome.figures.other).toBe(0);
    // The held wave: exactly the limit runs, the rest refused; the escaping waves may race with
    // runs ending, but never exceed the limit.
    expect(outcome.figures.accepted).toBeGreaterThanOrEqual(FAULT_LIMITS.maxConcurrentRuns);
    expect(outcome.figures.limited).toBeGreaterThan(0);
    expect(outcome.figures.accepted + outcome.figures.limited).toBe(outcome.figures.requests);
    expect(outcome.figures.peakGroups).toBeGreaterThan(0);
    expect(outcome.figures.peakGroups).toBeLessThanOrEqual(FAULT_LIMITS.maxConcurrentRuns);
    expectClean(outcome);
  });

  it('times out a call to an MCP server that never answers it with 504 mcp_timeout, and stays connected', async () => {
    const outcome = await mcpHangingCall(fb);
    expect(outcome.endState).toBe('call 504 mcp_timeout; server stays connected; disconnect → disconnected');
    expectClean(outcome);
  });

  it('ends failed for an MCP server that never answers initialize, and disconnecting it while connecting leaves no process', async () => {
    const outcome = await mcpHangingInitialize(fb);
    expect(outcome.endState).toMatch(/^failed .*; disconnect while connecting → disconnected$/);
    expectClean(outcome);
  });

  it('answers 502 upstream_error when an MCP server crashes mid-call, and restarts it', async () => {
    const outcome = await mcpCrashMidCall(fb);
    expect(outcome.endState).toBe('call 502 upstream_error; server reconnecting → connected (new process); disconnect → disconnected');
    expectClean(outcome);
  });

  it('restarts a dying inhibitor with backoff, gives up after maxAttempts, and releasing leaves no inhibitor', async () => {
    const outcome = await dyingInhibitor(fb);
    expect(outcome.figures.kills).toBe(FAULT_LIMITS.inhibitorMaxAttempts);
    expect(outcome.endState).toMatch(/^failed after 3 deaths \(restarts 2, active (true|false)\); release → idle; next lock → running again$/);
    expectClean(outcome);
  });
});
