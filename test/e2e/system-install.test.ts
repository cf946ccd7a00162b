import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectEvents, startClientBridge, type ClientBridge } from './system-support.js';

const recipesFile = path.resolve(import.meta.dirname, '../fixtures/system-recipes.json');
const fixtureSteps = [
  ['-e', "console.log('fetching osloop-fixture'); console.error('warning: nothing to fetch')"],
  ['-e', "console.log('installed osloop-fixture')"],
];

let b: ClientBridge;
beforeAll(async () => {
  // `inherited`: the steps' `node` is on the test's PATH, and the runs need not wait for a login shell.
  b = await startClientBridge({ config: { system: { recipesFile }, commandPath: 'inherited' } });
});
afterAll(() => b.close());

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: { status: number; code: string }) => ({ status: error.status, code: error.code }),
  );
const resolve = (promptId: string, decision: 'allow_once' | 'allow_and_whitelist' | 'reject') =>
  b.app.api.systemPermissionsPromptsResolve({ params: { requestId: promptId }, body: { decision } });

describe('tool installs', () => {
  it('always prompt, showing the whole recipe, and refuse allow_and_whitelist', async () => {
    const events = collectEvents(b.app, ['permission.prompt.created']);
    const install = await b.app.api.systemToolsInstall({ body: { tool: 'osloop-fixture', reason: 'the agent needs it' } });
    expect(install).toEqual({ installId: expect.stringMatching(/^inst_/), promptId: expect.any(String), state: 'awaiting_permission' });
    const prompt = await events.next('permission.prompt.created', (data) => data.promptId === install.promptId);
    expect(prompt).toMatchObject({
      kind: 'install',
      whitelistAllowed: false,
      proposedRule: null,
      reason: 'the agent needs it',
      template: { command: 'node', args: fixtureSteps[0] },
      details: { installId: install.installId, tool: 'osloop-fixture', packageManager: 'npm', steps: [{ args: fixtureSteps[0] }, { args: fixtureSteps[1] }] },
    });
    expect(await refusal(resolve(install.promptId, 'allow_and_whitelist'))).toEqual({ status: 400, code: 'invalid_request' });
    await resolve(install.promptId, 'reject');
    events.stop();
  });

  it('prompt even when a whitelist rule matches the step exactly', async () => {
    // The same command line as the install's first step, whitelisted as a plain command.
    const [args] = fixtureSteps;
    const template = { command: 'node', args: args! };
    const run = await b.app.api.systemCommandsExecute({ body: { ...template, template, title: 'same as the install step', reason: 'set up a rule' } });
    await resolve(run.promptId!, 'allow_and_whitelist');
    const again = await b.app.api.systemCommandsExecute({ body: { ...template, template, title: 'rule applies', reason: 'check the rule' } });
    expect(again.ruleId).toEqual(expect.any(String));

    const install = await b.app.api.systemToolsInstall({ body: { tool: 'osloop-fixture' } });
    expect(install.state).toBe('awaiting_permission');
    await resolve(install.promptId, 'reject');
  });

  it('run step by step once allowed, streaming output, then report the tool and refresh the inventory', async () => {
    const events = collectEvents(b.app, ['system.tool.*', 'system.tools.inventory_updated', 'permission.prompt.created']);
    const install = await b.app.api.systemToolsInstall({ body: { tool: 'osloop-fixture' } });
    await resolve(install.promptId, 'allow_once');
    const started = await events.next('system.tool.install_started', (data) => data.installId === install.installId);
    expect(started).toMatchObject({ tool: 'osloop-fixture', variantId: 'npm', packageManager: 'npm', steps: [{ command: 'node' }, { command: 'node' }] });
    expect(await events.next('system.tool.install_output', (data) => data.installId === install.installId && data.stream === 'stdout')).toMatchObject({
      step: 0,
      offset: 0,
      chunk: 'fetching osloop-fixture\n',
    });
    expect(await events.next('system.tool.install_output', (data) => data.installId === install.installId && data.stream === 'stderr')).toMatchObject({ step: 0 });

    // Each step is its own run and asks again; its prompt names the install.
    const second = await events.next('permission.prompt.created', (data) => (data.details as { installId?: string } | null)?.installId === install.installId && data.promptId !== install.promptId);
    expect(second).toMatchObject({ kind: 'install', template: { args: fixtureSteps[1] } });
    await resolve(String(second.promptId), 'allow_once');

    const completed = await events.next('system.tool.install_completed', (data) => data.installId === install.installId);
    expect(completed).toMatchObject({ tool: { name: 'osloop-fixture', installed: true, path: expect.stringMatching(/node$/) }, durationMs: expect.any(Number) });
    expect(await events.next('system.tools.inventory_updated', (data) => data.cause === 'install')).toMatchObject({ tools: expect.any(Array) });

    const { runs } = await b.app.api.systemCommandsRunsList({ query: { state: ['completed'] } });
    expect(runs.filter((run) => run.kind === 'install' && run.title.startsWith('Install osloop-fixture'))).toHaveLength(2);
    events.stop();
  });

  it('end failed with the step\'s exit code when a step fails', async () => {
    const events = collectEvents(b.app, ['system.tool.install_failed']);
    const install = await b.app.api.systemToolsInstall({ body: { tool: 'osloop-broken' } });
    await resolve(install.promptId, 'allow_once');
    expect(await events.next('system.tool.install_failed', (data) => data.installId === install.installId)).toEqual({
      installId: install.installId,
      tool: 'osloop-broken',
      state: 'failed',
      errorCode: null,
      message: 'Exited with code 3',
      step: 0,
      exitCode: 3,
      signal: null,
    });
    events.stop();
  });

  it('end rejected when the user says no', async () => {
    const events = collectEvents(b.app, ['system.tool.install_failed']);
    const install = await b.app.api.systemToolsInstall({ body: { tool: 'osloop-fixture' } });
    await resolve(install.promptId, 'reject');
    expect(await events.next('system.tool.install_failed', (data) => data.installId === install.installId)).toMatchObject({
      state: 'rejected',
      errorCode: 'rejected_by_user',
      step: 0,
    });
    events.stop();
  });

  it('are unsupported (501) when this machine lacks the package manager asked for', async () => {
    expect(await refusal(b.app.api.systemToolsInstall({ body: { tool: 'jq', packageManager: 'pacman' } }))).toEqual({ status: 501, code: 'unsupported' });
  });

  it('answer 404 for a tool the catalogue lacks', async () => {
    expect(await refusal(b.app.api.systemToolsInstall({ body: { tool: 'left-pad' } }))).toEqual({ status: 404, code: 'not_found' });
  });
});
