import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteBody } from '../../src/contract/route.js';
import type { ROUTES } from '../../src/contract/routes/index.js';
import { handshake } from '../support/test-bridge.js';
import { collectEvents, startClientBridge, type ClientBridge } from './system-support.js';

const recipesFile = path.resolve(import.meta.dirname, '../fixtures/system-recipes.json');
const fixtureSteps = [
  ['-e', "console.log('fetching osloop-fixture'); console.error('warning: nothing to fetch')"],
  ['-e', "console.log('installed osloop-fixture')"],
];

/** Another allowed web-app origin: its sessions see only their own jobs. */
const OTHER_ORIGIN = 'https://other.osloop.example';

let b: ClientBridge;
/** A web-app session's headers, for what only the raw reply shows (the refusal body). */
let session: Record<string, string>;
beforeAll(async () => {
  // `inherited`: the steps' `node` is on the test's PATH, and the runs need not wait for a login shell.
  b = await startClientBridge({ config: { system: { recipesFile }, commandPath: 'inherited', allowedOrigins: [OTHER_ORIGIN] } });
  session = (await handshake(b.bridge)).headers;
});

/** POST /system/tools/install as the web app's fetch() sends it; the reply once it comes. */
const postInstall = async (body: unknown) => {
  const response = await fetch(`${b.bridge.baseUrl}/api/v1/system/tools/install`, { method: 'POST', headers: session, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};
afterAll(() => b.close());

type InstallBody = RouteBody<typeof ROUTES.systemToolsInstall>;

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: { status: number; code: string; body?: unknown }) => ({ status: error.status, code: error.code }),
  );
/** The bridge's own window answers (a session may not be allowed to answer its own prompts). */
const resolve = (promptId: string, decision: 'allow_once' | 'allow_and_whitelist' | 'reject') =>
  b.ui.api.systemPermissionsPromptsResolve({ params: { requestId: promptId }, body: { decision } });

/**
 * Asks for an install the way the web app does (the request is held until the user answers) and
 * returns the pending reply with the install's one prompt, once it is open.
 */
async function install(body: InstallBody) {
  // A reason of its own tells this install's prompt from those of earlier tests (events replay from 0).
  const reason = body.reason ?? `install #${++installs}`;
  const events = collectEvents(b.ui, ['permission.prompt.created']);
  const reply = b.app.api.systemToolsInstall({ body: { ...body, reason } });
  reply.catch(() => {});
  const prompt = await events.next('permission.prompt.created', (data) => data.kind === 'install' && data.reason === reason);
  events.stop();
  return { reply, prompt, promptId: String(prompt.promptId) };
}
let installs = 0;

describe('tool installs: one job, one prompt', () => {
  it('ask once, showing every step exactly as it will run, and refuse allow_and_whitelist', async () => {
    const { reply, prompt, promptId } = await install({ toolId: 'osloop-fixture', reason: 'the agent needs it', requestId: 'req-install-1', context: { source: 'skill', skillId: 'setup' } });
    expect(prompt).toMatchObject({
      kind: 'install',
      whitelistAllowed: false,
      proposedRule: null,
      reason: 'the agent needs it',
      template: { command: 'node', args: fixtureSteps[0] },
      details: {
        tool: 'osloop-fixture',
        packageManager: 'npm',
        steps: [
          { command: 'node', args: fixtureSteps[0] },
          { command: 'node', args: fixtureSteps[1] },
        ],
      },
    });
    expect(await refusal(resolve(promptId, 'allow_and_whitelist'))).toEqual({ status: 400, code: 'invalid_request' });
    await resolve(promptId, 'reject');
    expect(await refusal(reply)).toEqual({ status: 403, code: 'rejected_by_user' });
  });

  it('answer a rejected install as accepted: false, with nothing run', async () => {
    const events = collectEvents(b.ui, ['bridge.job.*', 'permission.prompt.created', 'system.command.started']);
    const reply = postInstall({ toolId: 'osloop-fixture', reason: 'raw fetch' });
    const prompt = await events.next('permission.prompt.created', (data) => data.kind === 'install' && data.reason === 'raw fetch');
    await resolve(String(prompt.promptId), 'reject');
    const { status, body } = await reply;
    expect(status).toBe(403);
    expect(body).toMatchObject({ accepted: false, reason: { code: 'rejected_by_user', message: expect.any(String) }, error: { code: 'rejected_by_user' } });
    const installId = (prompt.details as { installId: string }).installId;
    const ended = await events.next('bridge.job.updated', (data) => data.runId === installId);
    expect(ended).toMatchObject({ kind: 'install', status: 'failed', errorCode: 'rejected_by_user', recoveryHint: null, summary: { toolId: 'osloop-fixture', command: 'node' } });
    expect(events.events.filter((event) => event.type === 'system.command.started')).toEqual([]);
    events.stop();
  });

  it('prompt even when a whitelist rule matches a step exactly', async () => {
    // The same command line as the install's first step, whitelisted as a plain command.
    const [args] = fixtureSteps;
    const events = collectEvents(b.ui, ['permission.prompt.created']);
    const first = b.app.api.systemCommandsExecute({ body: { command: 'node', args: args!, reason: 'set up a rule' } });
    const prompt = await events.next('permission.prompt.created', (data) => data.kind === 'command' && data.reason === 'set up a rule');
    await resolve(String(prompt.promptId), 'allow_and_whitelist');
    await first;
    const again = await b.app.api.systemCommandsExecute({ body: { command: 'node', args: args!, reason: 'check the rule' } });
    expect(again.decision.source).toBe('whitelist');
    events.stop();

    const { reply, promptId } = await install({ toolId: 'osloop-fixture' });
    await resolve(promptId, 'reject');
    expect(await refusal(reply)).toEqual({ status: 403, code: 'rejected_by_user' });
  });

  it('once allowed, run every step with no further prompt, streaming output, then report the tool and refresh the inventory', async () => {
    const events = collectEvents(b.ui, ['system.tool.*', 'system.tools.inventory_updated', 'permission.prompt.created', 'bridge.job.*']);
    const { reply, promptId } = await install({ toolId: 'osloop-fixture', requestId: 'req-install-2' });
    await resolve(promptId, 'allow_once');
    const accepted = await reply;
    expect(accepted).toMatchObject({
      accepted: true,
      runId: expect.stringMatching(/^inst_/),
      requestId: 'req-install-2',
      decision: { source: 'user', promptId, decisionId: expect.any(String) },
      toolId: 'osloop-fixture',
      steps: [{ args: fixtureSteps[0] }, { args: fixtureSteps[1] }],
      duplicate: false,
      held: true,
    });
    const installId = accepted.runId;
    expect(await events.next('system.tool.install_output', (data) => data.installId === installId && data.stream === 'stdout')).toMatchObject({ step: 0, offset: 0, chunk: 'fetching osloop-fixture\n' });
    const completed = await events.next('system.tool.install_completed', (data) => data.installId === installId);
    expect(completed).toMatchObject({ tool: { name: 'osloop-fixture', installed: true, path: expect.stringMatching(/node$/) }, durationMs: expect.any(Number) });
    expect(await events.next('system.tools.inventory_updated', (data) => data.cause === 'install')).toMatchObject({ tools: expect.any(Array) });

    // One prompt for the whole install: none opened for its steps.
    expect(events.events.filter((event) => event.type === 'permission.prompt.created' && (event.data as { details?: { installId?: string } | null }).details?.installId === installId).map((e) => (e.data as { promptId: string }).promptId)).toEqual([promptId]);
    // The job, as the web app follows it.
    const jobEvents = events.events.filter((event) => event.type.startsWith('bridge.job.') && (event.data as { runId: string }).runId === installId);
    expect(jobEvents.map((event) => [event.type, (event.data as { status: string }).status])).toEqual([
      ['bridge.job.created', 'queued'],
      ['bridge.job.updated', 'running'],
      ['bridge.job.updated', 'completed'],
    ]);
    // Each step ran as a command run of kind install, allowed by the install's own decision.
    const { runs } = await b.ui.api.systemCommandsRunsList({ query: { state: ['completed'] } });
    const steps = runs.filter((run) => run.kind === 'install' && run.promptId === promptId);
    expect(steps.map((run) => [run.template.args, run.decisionId])).toEqual([
      [fixtureSteps[1], accepted.decision.decisionId],
      [fixtureSteps[0], accepted.decision.decisionId],
    ]);

    // The same requestId again: the first job, nothing new.
    const repeated = await b.app.api.systemToolsInstall({ body: { toolId: 'osloop-fixture', requestId: 'req-install-2' } });
    expect(repeated).toMatchObject({ runId: installId, duplicate: true, status: 'completed' });
    events.stop();
  });

  it('end failed with the step\'s exit code when a step fails', async () => {
    const events = collectEvents(b.ui, ['system.tool.install_failed', 'bridge.job.updated']);
    const { reply, promptId } = await install({ toolId: 'osloop-broken' });
    await resolve(promptId, 'allow_once');
    const { runId: installId } = await reply;
    expect(await events.next('system.tool.install_failed', (data) => data.installId === installId)).toEqual({
      installId,
      tool: 'osloop-broken',
      state: 'failed',
      errorCode: null,
      message: 'Exited with code 3',
      step: 0,
      exitCode: 3,
      signal: null,
    });
    expect(await events.next('bridge.job.updated', (data) => data.runId === installId && data.status === 'failed')).toMatchObject({ exitCode: 3, recoveryHint: null });
    events.stop();
  });

  it('answer at once with the pending prompt under Prefer: respond-async', async () => {
    const response = await fetch(`${b.bridge.baseUrl}/api/v1/system/tools/install`, {
      method: 'POST',
      headers: { origin: b.bridge.origin, 'content-type': 'application/json', 'x-osloop-ui-token': b.bridge.uiToken, prefer: 'respond-async' },
      body: JSON.stringify({ toolId: 'osloop-fixture' }),
    });
    expect(response.status).toBe(202);
    const body = (await response.json()) as { status: string; held: boolean; decision: { source: string }; promptId: string };
    expect(body).toMatchObject({ accepted: true, status: 'queued', held: false, decision: { source: 'pending' } });
    await resolve(body.promptId, 'reject');
  });

  it.each<[string, Record<string, unknown>, number, string]>([
    ['lacks the package manager asked for (501)', { toolId: 'jq', packageManager: 'pacman' }, 501, 'unsupported'],
    ['names a tool the catalogue lacks (404)', { toolId: 'left-pad' }, 404, 'not_found'],
    ['asks by `tool` instead of `toolId` (400)', { tool: 'jq' }, 400, 'invalid_request'],
  ])('refuse, as accepted: false, an install that %s', async (_, body, status, code) => {
    expect(await postInstall(body)).toMatchObject({ status, body: { accepted: false, reason: { code }, error: { code } } });
  });
});

describe('held install requests', () => {
  it('share the session\'s cap with executes: past it an install answers at once, saying so', async () => {
    const capped = await startClientBridge({ config: { system: { recipesFile }, commandPath: 'inherited', maxHeldRequestsPerSession: 1 } });
    try {
      const headers = (await handshake(capped.bridge)).headers;
      const events = collectEvents(capped.ui, ['permission.prompt.created']);
      const post = (route: string, body: unknown) => fetch(`${capped.bridge.baseUrl}${route}`, { method: 'POST', headers, body: JSON.stringify(body) });
      // The one held place goes to an execute waiting for its prompt.
      const execute = post('/api/v1/system/commands/execute', { command: 'echo', args: ['held'], reason: 'hold the only place' });
      const executePrompt = await events.next('permission.prompt.created', (data) => data.reason === 'hold the only place');
      const install = await post('/api/v1/system/tools/install', { toolId: 'osloop-fixture', reason: 'past the cap' });
      expect(install.status).toBe(202);
      expect(await install.json()).toMatchObject({ accepted: true, status: 'queued', held: false, heldLimitReached: true, decision: { source: 'pending' } });
      const installPrompt = await events.next('permission.prompt.created', (data) => data.reason === 'past the cap');
      for (const prompt of [executePrompt, installPrompt]) {
        await capped.ui.api.systemPermissionsPromptsResolve({ params: { requestId: String(prompt.promptId) }, body: { decision: 'reject' } });
      }
      expect((await execute).status).toBe(403);
      events.stop();
    } finally {
      await capped.close();
    }
  });
});

describe('install jobs through the runs routes, by the bridge\'s id and the requestId', () => {
  it('long-polls an install job to its outcome and finds it by requestId', async () => {
    const { reply, promptId } = await install({ toolId: 'osloop-fixture', requestId: 'req-install-lookup' });
    await resolve(promptId, 'allow_once');
    const { runId } = await reply;
    const details = await b.app.api.systemCommandsRunsGet({ params: { runId }, query: { waitMs: 10_000 } });
    expect(details).toMatchObject({ runId, kind: 'install', state: 'completed', status: 'completed', exitCode: 0, requestId: 'req-install-lookup', promptId, recoveryHint: null, template: { command: 'node', args: fixtureSteps[0] } });
    const { runs } = await b.app.api.systemCommandsRunsList({ query: { requestId: 'req-install-lookup' } });
    expect(runs.map((run) => [run.runId, run.kind, run.status])).toEqual([[runId, 'install', 'completed']]);
  });

  it('terminates an install still waiting for its answer: the prompt is withdrawn and nothing runs', async () => {
    const events = collectEvents(b.ui, ['permission.prompt.resolved', 'bridge.job.updated', 'system.command.started']);
    const response = await fetch(`${b.bridge.baseUrl}/api/v1/system/tools/install`, {
      method: 'POST',
      headers: { ...session, prefer: 'respond-async' },
      body: JSON.stringify({ toolId: 'osloop-fixture', reason: 'to be terminated' }),
    });
    const { runId, promptId } = (await response.json()) as { runId: string; promptId: string };
    // Bodyless, as fetch() sends a terminate.
    const terminated = await fetch(`${b.bridge.baseUrl}/api/v1/system/commands/runs/${runId}/terminate`, { method: 'POST', headers: { origin: session.origin!, 'x-osloop-bridge-token': session['x-osloop-bridge-token']! } });
    expect(terminated.status).toBe(200);
    expect(await terminated.json()).toEqual({ runId, state: 'terminated' });
    expect(await events.next('bridge.job.updated', (data) => data.runId === runId)).toMatchObject({ status: 'terminated', kind: 'install' });
    expect(await events.next('permission.prompt.resolved', (data) => data.promptId === promptId)).toMatchObject({ state: 'cancelled' });
    expect(await b.app.api.systemCommandsRunsGet({ params: { runId } })).toMatchObject({ state: 'terminated', status: 'terminated', decisionId: null });
    expect(events.events.filter((event) => event.type === 'system.command.started' && (event.data as { promptId: string | null }).promptId === promptId)).toEqual([]);
    events.stop();
  });

  it('shows an install to its own origin and the local UI only', async () => {
    const { reply, promptId } = await install({ toolId: 'osloop-fixture' });
    await resolve(promptId, 'reject');
    const error = (await reply.catch((e: unknown) => e)) as { details: { runId: string } };
    const runId = error.details.runId;
    expect(await b.ui.api.systemCommandsRunsGet({ params: { runId } })).toMatchObject({ runId, state: 'rejected', errorCode: 'rejected_by_user' });
    const other = (await handshake(b.bridge, OTHER_ORIGIN)).headers;
    const seen = await fetch(`${b.bridge.baseUrl}/api/v1/system/commands/runs/${runId}`, { headers: { origin: OTHER_ORIGIN, 'x-osloop-bridge-token': other['x-osloop-bridge-token']! } });
    expect(seen.status).toBe(404);
    const terminate = await fetch(`${b.bridge.baseUrl}/api/v1/system/commands/runs/${runId}/terminate`, { method: 'POST', headers: { origin: OTHER_ORIGIN, 'x-osloop-bridge-token': other['x-osloop-bridge-token']! } });
    expect(terminate.status).toBe(404);
  });
});
