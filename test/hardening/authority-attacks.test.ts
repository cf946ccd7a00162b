import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type Api, type Reply } from '../e2e/commands-support.js';
import { EVERYTHING_ENTRY } from '../fixtures/mcp/everything.js';
import { handshake, startTestBridge } from '../support/test-bridge.js';
import { openFrames } from '../support/ws-frames.js';

/**
 * Issue 17, case by case: a hostile web-app session holding a valid token, with the user answering
 * in the bridge's own window. Every case ends refused or prompted, with nothing spawned or written
 * (marker files, and no process in /proc naming the marker).
 */

const P = (id: string) => `__OSL_SECRET[${id}]__`;
const work = path.join(os.tmpdir(), `osloop-authority-${process.pid}`);
const marker = (name: string) => path.join(work, `${name}.marker`);

/** Every live process whose command line mentions `text` (the attack's marker). */
function processesMentioning(text: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Nothing ran: no marker file, and no process naming it. */
function nothingRan(name: string) {
  expect(existsSync(marker(name))).toBe(false);
  expect(processesMentioning(`${name}.marker`)).toEqual([]);
}

type Body = Record<string, unknown>;

describe('the permission authority cannot be lied to (issue 17)', () => {
  let api: Api;
  beforeAll(async () => {
    mkdirSync(work, { recursive: true });
    // No restarts: cases 10 and 11 wait for an HTTP server that answers 500 to end `failed`, which
    // the default five restarts with backoff put 15 s away.
    api = await startApi({ config: { commandPath: 'inherited', denyList: ['rm'], mcp: { reconnect: { maxAttempts: 0 } } } });
  });
  afterAll(async () => {
    await api.bridge.close();
  });

  /** Executes and, if a prompt opens, lets the user (local UI) whitelist it exactly. */
  async function whitelist(command: string, args: string[], extra: Body = {}): Promise<void> {
    const reply = await api.execute(command, args, extra);
    const promptId = (reply.body as { promptId?: string }).promptId;
    expect(promptId, JSON.stringify(reply.body)).toBeTruthy();
    expect((await api.resolve(promptId!, 'allow_and_whitelist', {}, { ui: true })).status).toBe(200);
    await api.waitRun((reply.body as { runId: string }).runId);
  }
  const refusedAs = (reply: Reply, code: string) => {
    expect(reply.body).toMatchObject({ accepted: false, reason: { code } });
  };
  const prompted = (reply: Reply) => {
    expect(reply.body, JSON.stringify(reply.body)).toMatchObject({ accepted: true, promptId: expect.any(String) });
    return (reply.body as { promptId: string }).promptId;
  };
  const promptView = async (promptId: string) => {
    const { body } = await api.call<{ prompts: Array<Record<string, unknown>> }>('GET', '/api/v1/ui/prompts', undefined, { ui: true });
    return body.prompts.find((p) => p.promptId === promptId)!;
  };

  it('1. refuses a lying template: sh -c touch under the template `echo hello`, with `echo hello` whitelisted', async () => {
    await whitelist('echo', ['hello']);
    const reply = await api.execute('sh', ['-c', `touch ${marker('lying')}`], { commandTemplate: 'echo', argsTemplate: ['hello'] });
    refusedAs(reply, 'invalid_request');
    expect(JSON.stringify(reply.body)).not.toContain('lying.marker');
    nothingRan('lying');
  });

  it('2. prompts when a rule for `node -e 1` meets NODE_OPTIONS, and flags the variable', async () => {
    await whitelist('node', ['-e', '1']);
    const preload = marker('preload').replace(/\.marker$/, '.cjs');
    writeFileSync(preload, `require('fs').writeFileSync(${JSON.stringify(marker('preload'))}, 'ran')`);
    const promptId = prompted(await api.execute('node', ['-e', '1'], { env: { NODE_OPTIONS: `--require ${preload}` } }));
    const view = await promptView(promptId);
    expect(view.flags).toContainEqual(expect.objectContaining({ code: 'risky_env', field: 'env.NODE_OPTIONS' }));
    nothingRan('preload');
  });

  it('4a. prompts for another stdin than the rule\'s, and the rule says what it covers', async () => {
    await whitelist('sh', [], { stdin: 'echo hello' });
    const rules = (await api.call<{ rules: Array<Record<string, unknown>> }>('GET', '/api/v1/system/permissions/commands')).body.rules;
    expect(rules.find((r) => r.executable === 'sh')).toMatchObject({ stdin: 'echo hello', env: {}, cwd: null });
    prompted(await api.execute('sh', [], { stdin: `touch ${marker('stdin')}` }));
    nothingRan('stdin');
  });

  it('4b. prompts for `git status --short` in another directory than the rule\'s (core.fsmonitor)', async () => {
    const good = path.join(work, 'good-repo');
    const evil = path.join(work, 'evil-repo');
    for (const dir of [good, evil]) mkdirSync(path.join(dir, '.git'), { recursive: true });
    writeFileSync(path.join(evil, '.git', 'config'), `[core]\n\tfsmonitor = touch ${marker('fsmonitor')}\n`);
    await whitelist('git', ['status', '--short'], { workingDirectory: good });
    prompted(await api.execute('git', ['status', '--short'], { workingDirectory: evil }));
    nothingRan('fsmonitor');
  });

  it('scopes a rule to the skill that earned it: another skill of the same web app is asked', async () => {
    await whitelist('echo', ['skill-scoped'], { context: { source: 'skill', skillId: 'skill-a', taskId: 't1' } });
    const sameSkill = await api.execute('echo', ['skill-scoped'], { context: { source: 'skill', skillId: 'skill-a', taskId: 't2' } });
    expect(sameSkill.body).toMatchObject({ accepted: true, decision: { source: 'whitelist' } });
    prompted(await api.execute('echo', ['skill-scoped'], { context: { source: 'skill', skillId: 'skill-b' } }));
    prompted(await api.execute('echo', ['skill-scoped']));
  });

  it('5. refuses a prefix rule `git log *` (its options write files), and for shells, interpreters and wrappers', async () => {
    for (const [command, args] of [['git', ['log']], ['sh', ['-c']], ['node', ['-e']], ['env', ['FOO=1']], ['find', ['.']]] as const) {
      const promptId = prompted(await api.execute(command, [...args]));
      const view = await promptView(promptId);
      expect(view.prefixRule).toMatchObject({ allowed: false });
      const answer = await api.resolve(promptId, 'allow_and_whitelist', { ruleArgsPrefix: 1 }, { ui: true });
      expect(answer.status, command).toBe(400);
      expect(answer.body).toMatchObject({ error: { code: 'invalid_request' } });
      await api.resolve(promptId, 'reject', {}, { ui: true });
    }
  });

  it('6. denies rm wherever the shell would run it: after `;`, in the arguments of a shell line, behind env', async () => {
    const victim = marker('victim');
    writeFileSync(victim, 'keep me');
    refusedAs(await api.execute(`echo x; rm -f ${victim}`, [], { shell: true }), 'bridge_policy_denied');
    refusedAs(await api.execute('echo x;', ['rm', '-f', victim], { shell: true }), 'bridge_policy_denied');
    refusedAs(await api.execute('env', ['rm', '-f', victim]), 'bridge_policy_denied');
    refusedAs(await api.execute('sh', ['-c', `echo x && rm -f ${victim}`]), 'bridge_policy_denied');
    expect(readFileSync(victim, 'utf8')).toBe('keep me');
  });

  it('6b. never lets a rule allow a shell line it cannot parse, and flags it', async () => {
    const line = `echo "open; touch ${marker('unparsed')}`;
    const promptId = prompted(await api.execute(line, [], { shell: true }));
    const view = await promptView(promptId);
    expect(view.flags).toContainEqual(expect.objectContaining({ code: 'shell_line_unparsed' }));
    expect(view.whitelistAllowed).toBe(false);
    expect((await api.resolve(promptId, 'allow_and_whitelist', {}, { ui: true })).status).toBe(400);
    nothingRan('unparsed');
  });

  it('7. shows bidi and zero-width characters as visible escapes, flagged, and lists every command of the line', async () => {
    const line = `echo Checking disk usage \u202e\u2066# read-only: nothing is changed\u2069; touch ${marker('bidi')}`;
    const promptId = prompted(await api.execute(line, [], { shell: true }));
    const view = await promptView(promptId);
    expect(view.shown).toMatchObject({ command: expect.stringContaining('⟪U+202E⟫⟪U+2066⟫') });
    expect(String((view.shown as { command: string }).command)).not.toMatch(/[\u202e\u2066\u2069]/);
    expect(view.flags).toContainEqual(expect.objectContaining({ code: 'hidden_characters', field: 'command' }));
    expect(view.commandsFound).toEqual(['echo', 'touch']);
    nothingRan('bidi');
  });

  it('refuses placeholders in odd places unless every literal part is equal', async () => {
    // Inside a word, several in one argument, at both ends.
    const cases: Array<[string, string, boolean]> = [
      [`a${P('x')}b${P('y')}c`, 'aXXbYYc', true],
      [`a${P('x')}b${P('y')}c`, 'aXXcYYb', false],
      [`${P('x')}-tail`, 'head-tail', true],
      [`${P('x')}-tail`, 'head-tai1', false],
      [`head-${P('x')}`, 'head-', true],
      [`head-${P('x')}`, 'heaD-x', false],
    ];
    for (const [template, resolved, ok] of cases) {
      const reply = await api.execute('echo', [resolved], { argsTemplate: [template] });
      if (ok) prompted(reply);
      else refusedAs(reply, 'invalid_request');
    }
    // A secret inside a shell line could be shell code: it prompts, flagged, and is never whitelisted.
    const promptId = prompted(await api.execute("echo 'x'", [], { commandTemplate: `echo '${P('x')}'`, shell: true }));
    const view = await promptView(promptId);
    expect(view.flags).toContainEqual(expect.objectContaining({ code: 'secret_in_code' }));
    expect(view.whitelistAllowed).toBe(false);
  });

  it('3. prompts again when a whitelisted stdio MCP server\'s env is PATCHed with a preload', async () => {
    const preload = path.join(work, 'mcp-preload.cjs');
    writeFileSync(preload, `require('fs').writeFileSync(${JSON.stringify(marker('mcp-preload'))}, 'ran')`);
    const transport = { type: 'stdio', command: process.execPath, args: [EVERYTHING_ENTRY], template: { command: process.execPath, args: [EVERYTHING_ENTRY] } };
    const { body: server } = await api.call<{ serverId: string }>('POST', '/api/v1/mcp/servers', { name: 'everything', transport });
    const first = await api.call<{ state: string; promptId?: string }>('POST', `/api/v1/mcp/servers/${server.serverId}/connect`);
    expect(first.body.state).toBe('awaiting_permission');
    expect((await api.resolve(first.body.promptId!, 'allow_and_whitelist', {}, { ui: true })).status).toBe(200);
    await api.call('POST', `/api/v1/mcp/servers/${server.serverId}/disconnect`);

    const env = { NODE_OPTIONS: `--require ${preload}` };
    const patched = { ...transport, env, template: { ...transport.template, env } };
    expect((await api.call('PATCH', `/api/v1/mcp/servers/${server.serverId}`, { transport: patched })).status).toBe(200);
    const again = await api.call<{ state: string }>('POST', `/api/v1/mcp/servers/${server.serverId}/connect`);
    expect(again.body.state).toBe('awaiting_permission');
    nothingRan('mcp-preload');
    await api.call('DELETE', `/api/v1/mcp/servers/${server.serverId}`);
  });

  describe('10–11. HTTP MCP servers', () => {
    let upstream: Server;
    let requests = 0;
    let url = '';
    beforeAll(async () => {
      upstream = createServer((request, response) => {
        requests += 1;
        request.resume();
        response.writeHead(500, { 'content-type': 'application/json' }).end('{"instance-metadata":"TOP-SECRET-BODY"}');
      });
      await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/mcp`;
    });
    afterAll(() => new Promise<void>((resolve) => upstream.close(() => resolve())));

    it('10. sends nothing before the user approves the exact URL and header names, and never echoes the body', async () => {
      const transport = { type: 'streamable-http', url, headers: { Cookie: 'session=abc', 'Metadata-Flavor': 'Google' } };
      const { body: server } = await api.call<{ serverId: string }>('POST', '/api/v1/mcp/servers', { name: 'metadata', transport });
      const asked = await api.call<{ state: string; promptId: string }>('POST', `/api/v1/mcp/servers/${server.serverId}/connect`);
      expect(asked.body.state).toBe('awaiting_permission');
      expect(requests).toBe(0);
      const view = await promptView(asked.body.promptId);
      expect(view).toMatchObject({ whitelistAllowed: false, details: { url, headerNames: ['Cookie', 'Metadata-Flavor'] } });
      expect((await api.resolve(asked.body.promptId, 'allow_and_whitelist', {}, { ui: true })).status).toBe(400);
      await api.resolve(asked.body.promptId, 'allow_once', {}, { ui: true });
      await expect.poll(async () => (await api.call<{ servers: Array<{ serverId: string; state: string }> }>('GET', '/api/v1/mcp/servers')).body.servers.find((s) => s.serverId === server.serverId)?.state, { timeout: 20_000 }).toBe('failed');
      const listed = JSON.stringify((await api.call('GET', '/api/v1/mcp/servers')).body);
      expect(requests).toBeGreaterThan(0);
      expect(listed).not.toContain('TOP-SECRET-BODY');
      await api.call('DELETE', `/api/v1/mcp/servers/${server.serverId}`);
    });

    it('11. keeps a resolved credential in the URL out of lastError', async () => {
      const resolved = url.replace('http://', 'http://user:hunter2-resolved@');
      const transport = { type: 'streamable-http', url: resolved, template: { url: url.replace('http://', `http://user:${P('pw')}@`), headers: {} } };
      const { body: server } = await api.call<{ serverId: string }>('POST', '/api/v1/mcp/servers', { name: 'creds', transport });
      const asked = await api.call<{ promptId: string }>('POST', `/api/v1/mcp/servers/${server.serverId}/connect`);
      await api.resolve(asked.body.promptId, 'allow_once', {}, { ui: true });
      await expect.poll(async () => (await api.call<{ servers: Array<{ serverId: string; state: string }> }>('GET', '/api/v1/mcp/servers')).body.servers.find((s) => s.serverId === server.serverId)?.state, { timeout: 20_000 }).toBe('failed');
      const listed = JSON.stringify((await api.call('GET', '/api/v1/mcp/servers')).body);
      expect(listed).not.toContain('hunter2-resolved');
      expect(listed).not.toContain('hunter2');
      await api.call('DELETE', `/api/v1/mcp/servers/${server.serverId}`);
    });
  });

  it('8. isolates origins: another origin\'s session is not allowed by these rules, cannot read these runs, and gets none of their events', async () => {
    const other = 'http://other-app.example';
    const config = { commandPath: 'inherited' as const, approvals: { localOnly: false }, allowedOrigins: [other] };
    const bridge = await startTestBridge({ dev: true, config });
    try {
      const a = await handshake(bridge);
      const b = await handshake(bridge, other);
      const call = (headers: Record<string, string>, method: string, p: string, body?: unknown) =>
        fetch(`${bridge.baseUrl}${p}`, { method, headers: method === 'GET' ? { ...headers, 'content-type': '' } : headers, ...(body ? { body: JSON.stringify(body) } : {}) }).then(async (r) => ({ status: r.status, body: (await r.json()) as Body }));
      const socketB = await openFrames(`${bridge.baseUrl.replace('http', 'ws')}/ws/v1/events?sessionToken=${b.token}`, other);
      await socketB.until((f) => f.some((x) => x.type === 'ready'));

      const asyncA = { ...a.headers, prefer: 'respond-async' };
      const first = await call(asyncA, 'POST', '/api/v1/system/commands/execute', { command: 'echo', args: ['origin-a-output'], reason: 'a' });
      const promptId = first.body.promptId as string;
      // Another origin's prompt does not exist for B: it can neither answer it nor learn its state.
      expect((await call(b.headers, 'POST', `/api/v1/system/permissions/prompts/${promptId}/resolve`, { decision: 'allow_once' })).status).toBe(404);
      await call({ origin: bridge.origin, 'x-osloop-ui-token': bridge.uiToken, 'content-type': 'application/json' }, 'POST', `/api/v1/system/permissions/prompts/${promptId}/resolve`, { decision: 'allow_and_whitelist' });
      const runId = first.body.runId as string;
      await call(a.headers, 'GET', `/api/v1/system/commands/runs/${runId}?waitMs=10000`);

      expect((await call(b.headers, 'GET', `/api/v1/system/commands/runs/${runId}`)).status).toBe(404);
      expect(JSON.stringify((await call(b.headers, 'GET', '/api/v1/system/commands/runs')).body)).not.toContain(runId);
      expect((await call(b.headers, 'GET', '/api/v1/system/permissions/commands')).body).toMatchObject({ rules: [] });
      const fromB = await call({ ...b.headers, prefer: 'respond-async' }, 'POST', '/api/v1/system/commands/execute', { command: 'echo', args: ['origin-a-output'], reason: 'b' });
      expect(fromB.body).toMatchObject({ promptId: expect.any(String) });

      // B's own prompt event arrives; by then A's run and prompt events were long published.
      await socketB.until((frames) => frames.some((x) => x.type === 'permission.prompt.created' && JSON.stringify(x).includes(String(fromB.body.promptId))));
      const seen = JSON.stringify(socketB.frames);
      expect(seen).not.toContain(runId);
      expect(seen).not.toContain(promptId);
      expect(socketB.frames.some((x) => x.type === 'system.command.stdout')).toBe(false);
      socketB.socket.close();
    } finally {
      await bridge.close();
    }
  });

  it('9. by default the web app cannot answer its own prompts', async () => {
    const bridge = await startTestBridge({ dev: true, config: { commandPath: 'inherited' } });
    try {
      const { headers } = await handshake(bridge);
      const executed = await fetch(`${bridge.baseUrl}/api/v1/system/commands/execute`, { method: 'POST', headers: { ...headers, prefer: 'respond-async' }, body: JSON.stringify({ command: 'touch', args: [marker('self-approve')], reason: 'x' }) });
      const { promptId } = (await executed.json()) as { promptId: string };
      const answer = await fetch(`${bridge.baseUrl}/api/v1/system/permissions/prompts/${promptId}/resolve`, { method: 'POST', headers, body: JSON.stringify({ decision: 'allow_once' }) });
      expect(answer.status).toBe(403);
      nothingRan('self-approve');
    } finally {
      await bridge.close();
    }
  });
});
