import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, type RouteName } from '../../src/contract/routes/index.js';
import type { RouteDef } from '../../src/contract/route.js';
import {
  ATTACK_SIZES,
  csrfAttack,
  foreignOriginAttack,
  pendingRun,
  promptResolutionAttack,
  rebindingAttack,
  ruleCreationAttack,
  smugglingAttack,
  symlinkRace,
  tokenFlood,
} from './workloads/attacks.js';
import { WEB_APP, sampleRequests, send, startAttackBridge, stateSnapshot, type AttackBridge } from './workloads/attacks-support.js';

const size = ATTACK_SIZES.ci;

let a: AttackBridge;
beforeAll(async () => {
  a = await startAttackBridge();
});
afterAll(() => a?.close());

describe('the attack requests are real requests', () => {
  it('sends, on every route, a request its schemas accept: only the guard can stop it', () => {
    const rejected = (Object.keys(ROUTES) as RouteName[]).filter((name) => {
      const route = ROUTES[name] as RouteDef;
      const sample = sampleRequests('/tmp/target')[name];
      return (route.body && !route.body.safeParse(sample.body).success) || (route.params && !route.params.safeParse(sample.params).success);
    });
    expect(rejected).toEqual([]);
  });
});

describe('every route, refused before it is reached', () => {
  it('DNS rebinding: a foreign Host on every route and WebSocket path is 403 forbidden_host (400 when malformed), never dispatched', async () => {
    const before = await stateSnapshot(a);
    const result = await rebindingAttack(a);
    expect(result.failures).toEqual([]);
    expect(result.gotThrough).toBe(0);
    expect(result.attempts).toBeGreaterThan(Object.keys(ROUTES).length * 10);
    expect(await stateSnapshot(a)).toEqual(before);
  });

  it('a foreign Origin with stolen tokens on every route, preflight and WebSocket path is 403 forbidden_origin with no CORS headers', async () => {
    const before = await stateSnapshot(a);
    const result = await foreignOriginAttack(a);
    expect(result.failures).toEqual([]);
    expect(result.gotThrough).toBe(0);
    expect(await stateSnapshot(a)).toEqual(before);
  });

  it('CSRF: text/plain, form and multipart POST/PATCH/DELETE without a preflight do nothing, even with a token', async () => {
    const before = await stateSnapshot(a);
    const result = await csrfAttack(a);
    expect(result.failures).toEqual([]);
    expect(result.gotThrough).toBe(0);
    // No session, run, prompt, rule, MCP server, awake lock, picker or file came of it, and the settings are unchanged.
    expect(await stateSnapshot(a)).toEqual(before);
  });
});

describe('token guessing', () => {
  it(`refuses ${size.wrongTokens.toLocaleString('en-US')} wrong tokens while the legitimate session keeps working, never locked out`, async () => {
    const result = await tokenFlood(a, size.wrongTokens, { validFlood: false });
    expect(result.failures).toEqual([]);
    expect(result.gotThrough).toBe(0);
    expect(result.wrongTokens).toBe(size.wrongTokens);
    expect(result.legitDuringFlood).toBeGreaterThan(0);
    expect(result.legitFailures).toBe(0);
    expect(result.legitAfterFloodStatus).toBe(200);
  });
});

describe('request smuggling and duplicate headers', () => {
  it('refuses every ambiguous framing or duplicated header, runs no hidden request, and keeps serving', async () => {
    const before = await stateSnapshot(a);
    const result = await smugglingAttack(a, size.smugglingRounds);
    expect(result.failures).toEqual([]);
    expect(result.gotThrough).toBe(0);
    // The requests hidden in refused bodies were skipped as bodies: the one after them was served.
    expect(result.framingHeld).toBe(4);
    expect(await stateSnapshot(a)).toEqual(before);
    expect((await fetch(`${a.bridge.baseUrl}/api/v1/health`)).status).toBe(200);
  });

  it.each([
    ['a duplicated session token', 'x-osloop-bridge-token'],
    ['a duplicated Content-Type', 'content-type'],
  ])('answers %s with the structured 400', async (_, header) => {
    const headers: Record<string, string | string[]> = { host: a.host, ...a.webApp.headers };
    headers[header] = [String(headers[header]), header === 'content-type' ? 'text/plain' : String(headers[header])];
    const reply = await send(a.port, 'POST', '/api/v1/awake/acquire', headers, JSON.stringify({ reason: 'smuggled' }));
    expect(reply.status).toBe(400);
    expect(reply.code).toBe('invalid_request');
  });
});

describe('permission prompts answered by someone else', () => {
  it('leaves the prompt pending and the run unstarted whoever else tries to answer it, and whatever id they forge', async () => {
    const { runId, promptId } = await pendingRun(a, 'prompt-attack');
    const before = await stateSnapshot(a);
    const result = await promptResolutionAttack(a, promptId, runId, { localOnly: false });
    expect(result.failures).toEqual([]);
    expect(result.gotThrough).toBe(0);
    await expectStillPending(promptId, runId);
    expect(strip(await stateSnapshot(a))).toEqual(strip(before));
  });

  it('with approvals.localOnly, refuses even the requesting session', async () => {
    const { runId, promptId } = await pendingRun(a, 'local-only-attack');
    const settings = (localOnly: boolean) =>
      send(a.port, 'PATCH', '/api/v1/ui/settings', { host: a.host, 'content-type': 'application/json', 'x-osloop-ui-token': a.bridge.uiToken }, JSON.stringify({ approvalsLocalOnly: localOnly }));
    expect((await settings(true)).status).toBe(200);
    try {
      const result = await promptResolutionAttack(a, promptId, runId, { localOnly: true });
      expect(result.failures).toEqual([]);
      expect(result.gotThrough).toBe(0);
      await expectStillPending(promptId, runId);
    } finally {
      expect((await settings(false)).status).toBe(200);
    }
  });
});

describe('standing permission the web app gives itself', () => {
  it('cannot create a rule, change a setting or use any UI-only route with its session token', async () => {
    const before = await stateSnapshot(a);
    const result = await ruleCreationAttack(a);
    expect(result.failures).toEqual([]);
    expect(result.gotThrough).toBe(0);
    const after = await stateSnapshot(a);
    expect(after.rules).toEqual({ rules: [] });
    expect(after).toEqual(before);
  });
});

describe('symlink races on filesystem writes', () => {
  it(`never writes outside the target while a racer swaps the directory and the file for symlinks (${size.raceWrites.toLocaleString('en-US')} writes)`, async () => {
    const result = await symlinkRace(a, size.raceWrites);
    expect(result.failures).toEqual([]);
    expect(result.outsideEvents).toBe(0);
    expect(result.outsideEntriesAfter).toBe(0);
    expect(result.victimChanged).toBe(false);
    expect(result.serverErrors).toBe(0);
    // The race was real: the racer swapped many times and writes both went through and were refused.
    expect(result.swaps).toBeGreaterThan(100);
    expect(result.written).toBeGreaterThan(0);
    expect(result.refused).toBeGreaterThan(0);
  });
});

async function expectStillPending(promptId: string, runId: string): Promise<void> {
  const ui = { host: a.host, 'x-osloop-ui-token': a.bridge.uiToken };
  const prompts = JSON.parse((await send(a.port, 'GET', '/api/v1/ui/prompts', ui)).body) as { prompts: Array<{ promptId: string; state: string }> };
  expect(prompts.prompts.find((p) => p.promptId === promptId)).toMatchObject({ state: 'pending' });
  const run = JSON.parse((await send(a.port, 'GET', `/api/v1/system/commands/runs/${runId}`, { host: a.host, origin: WEB_APP, 'x-osloop-bridge-token': a.webApp.token })).body) as Record<string, unknown>;
  expect(run).toMatchObject({ state: 'awaiting_permission', pid: null, startedAt: null, decisionId: null });
}

/** A resolve attempt may hand-shake a second session of the same app: everything else must be unchanged. */
function strip(snapshot: Record<string, unknown>): Record<string, unknown> {
  const { actors, ...rest } = snapshot as { actors: Record<string, number> };
  const { session: _session, ...others } = actors;
  return { ...rest, actors: others };
}
