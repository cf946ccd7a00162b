import { describe, expect, it } from 'vitest';
import { startRun } from './commandRun.fakes.js';

describe('command run machine: the permission gate', () => {
  it('asks the authority with the template and the provenance, never the resolved values', () => {
    const context = { source: 'skill', skillId: 'skill-a', taskId: 'task-1', runId: null };
    const run = startRun({ context });
    expect(run.state()).toEqual({ awaiting_permission: 'deciding' });
    expect(run.gate.input).toEqual({
      subjectKind: 'command',
      subjectId: 'run_1',
      template: { command: 'echo', args: ['__OSL_SECRET[greeting]__'] },
      shell: false,
      title: 'Print a greeting',
      reason: 'a test',
      requestedBy: { kind: 'session', sessionId: 'ses_1', origin: 'https://app.example' },
      whitelistAllowed: true,
      details: null,
      context,
    });
    expect(JSON.stringify(run.gate.input)).not.toContain('s3cret-value');
  });

  it('passes an install run\'s kind and whitelist ban to the authority', () => {
    const run = startRun({ kind: 'install', whitelistAllowed: false });
    expect(run.gate.input).toMatchObject({ subjectKind: 'install', whitelistAllowed: false });
  });

  it('starts the process once a rule allows it, remembering the rule and decision', () => {
    const run = startRun();
    run.allowByRule();
    expect(run.state()).toBe('starting');
    expect(run.gate.stopped).toBe(true);
    expect(run.proc.input).toEqual({ runId: 'run_1', resolved: { command: 'echo', args: ['s3cret-value'] }, shell: false });
    expect(run.actor.getSnapshot().context).toMatchObject({ ruleId: 'rule_1', decisionId: 'dec_1', promptId: null });
  });

  it('waits in awaiting_permission.prompted while a prompt is open, then runs when the user allows', () => {
    const run = startRun();
    run.gate.sendBack!({ type: 'permission.pending', promptId: 'prm_1', expiresAt: run.at(60) });
    expect(run.state()).toEqual({ awaiting_permission: 'prompted' });
    expect(run.persisted.at(-1)).toMatchObject({ state: 'awaiting_permission', promptId: 'prm_1' });
    run.gate.sendBack!({ type: 'permission.allowed', decidedBy: 'user', ruleId: null, promptId: 'prm_1', decisionId: 'dec_2', at: run.at(3) });
    expect(run.state()).toBe('starting');
  });

  it.each([
    ['rejected_by_user', 'The user rejected the command.'],
    ['permission_timeout', 'Nobody answered the permission prompt in time.'],
    ['bridge_policy_denied', 'The bridge policy forbids "rm".'],
  ] as const)('ends rejected with %s and never starts a process', (code, message) => {
    const run = startRun();
    run.gate.sendBack!({ type: 'permission.rejected', code, promptId: null, decisionId: 'dec_3', message, at: run.at(4) });
    expect(run.state()).toBe('rejected');
    expect(run.actor.getSnapshot().status).toBe('done');
    expect(run.proc.input).toBeUndefined();
    expect(run.persisted.at(-1)).toMatchObject({ state: 'rejected', errorCode: code, errorMessage: message, decisionId: 'dec_3', endedAt: run.at(4) });
    expect(run.published).toEqual([{ type: 'system.command.failed', data: expect.objectContaining({ state: 'rejected', errorCode: code }) }]);
  });

  it('fails as unavailable when the authority cannot be asked', () => {
    const run = startRun();
    run.gate.sendBack!({ type: 'permission.failed', message: 'No permission authority answered.', at: run.at(1) });
    expect(run.state()).toBe('failed');
    expect(run.persisted.at(-1)).toMatchObject({ errorCode: 'unavailable' });
  });

  it('is terminated while waiting, withdrawing its prompt by stopping the gate', () => {
    const run = startRun();
    run.gate.sendBack!({ type: 'permission.pending', promptId: 'prm_1', expiresAt: run.at(60) });
    run.actor.send({ type: 'run.terminate', at: run.at(7) });
    expect(run.state()).toBe('terminated');
    expect(run.gate.stopped).toBe(true);
    expect(run.published).toEqual([{ type: 'system.command.terminated', data: expect.objectContaining({ state: 'terminated', endedAt: run.at(7) }) }]);
  });
});
