import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVERYTHING_ENTRY } from '../fixtures/mcp/everything.js';
import { handshake, startTestBridge, type TestBridge } from '../support/test-bridge.js';
import { chromiumAvailable, launchChromium, openUi, pageErrors } from './support/chromium.js';

/** A second web app the user allowed. */
const OTHER_ORIGIN = 'https://other-app.example';

describe.skipIf(!chromiumAvailable('MCP servers page'))('MCP servers page (Chromium, a real bridge and a real MCP server)', () => {
  let bridge: TestBridge;
  let browser: Browser;
  let page: Page;
  let serverId: string;

  beforeAll(async () => {
    bridge = await startTestBridge({ config: { commandPath: 'inherited', allowedOrigins: [OTHER_ORIGIN], mcp: { reconnect: { maxAttempts: 0, initialDelayMs: 10, maxDelayMs: 10 } } } });
    const webApp = await handshake(bridge);
    const stdio = { command: process.execPath, args: [EVERYTHING_ENTRY] };
    const response = await fetch(`${bridge.baseUrl}/api/v1/mcp/servers`, {
      method: 'POST',
      headers: webApp.headers,
      body: JSON.stringify({ name: 'everything', transport: { type: 'stdio', ...stdio, template: stdio } }),
    });
    expect(response.status).toBe(201);
    serverId = ((await response.json()) as { serverId: string }).serverId;
    browser = await launchChromium();
    page = await openUi(browser, bridge.baseUrl, bridge.uiToken, 'mcp');
    page.on('dialog', (dialog) => void dialog.accept());
  });
  afterAll(async () => {
    await browser?.close();
    await bridge?.close();
  });

  it('connects a server after the user allows it on the approvals page, and lists its tools', async () => {
    const card = page.locator(`[data-server-id="${serverId}"]`);
    await card.locator('.state-disconnected').waitFor();
    await card.locator('button[data-action="connect"]').click();

    // While it waits for the person, the card links to its prompt and offers no second Connect.
    const link = card.locator('[data-waiting] a', { hasText: 'Answer the prompt' });
    await link.waitFor();
    expect(await link.getAttribute('href')).toMatch(/^#approvals\?prompt=prm_/);
    expect(await card.locator('button[data-action="connect"]').isDisabled()).toBe(true);

    await page.evaluate(() => (location.hash = 'approvals'));
    const prompt = page.locator('[data-prompt-id]', { hasText: 'everything' });
    await prompt.waitFor();
    expect(await prompt.locator('.cmdline .arg').first().textContent()).toBe(process.execPath);
    await prompt.locator('button[data-action="allow_once"]').click();

    await page.evaluate(() => (location.hash = 'mcp'));
    await page.locator(`[data-server-id="${serverId}"] .state-connected`).waitFor({ timeout: 30_000 });
    await page.locator(`[data-server-id="${serverId}"] .tools li`, { hasText: 'echo' }).waitFor();
    expect(await card.locator('[data-owner]').innerText()).toBe(bridge.origin);
  });

  // Right after the connection, before anyone calls the server: a request that came while a call
  // was in flight would be that caller's, and server-everything asks for roots on a timer
  // (350 ms after its handshake), which a fast run of the tests below could overlap.
  it('shows the roots request the server makes on its own as anyone\'s to answer', async () => {
    const roots = page.locator('#server-requests [data-kind="roots"]');
    await roots.waitFor();
    expect(await roots.getAttribute('data-visible-to')).toBe('everyone');
    await roots.locator('button[data-answer="accept"]').click();
    await roots.waitFor({ state: 'detached' });
  });

  it('shows whose each server is: the web app that registered it', async () => {
    const other = await handshake(bridge, OTHER_ORIGIN);
    const response = await fetch(`${bridge.baseUrl}/api/v1/mcp/servers`, {
      method: 'POST',
      headers: other.headers,
      body: JSON.stringify({ name: 'everything', transport: { type: 'streamable-http', url: 'http://127.0.0.1:9/mcp' } }),
    });
    // The same name as the first web app's server: names are unique per web app.
    expect(response.status).toBe(201);
    const theirs = ((await response.json()) as { serverId: string }).serverId;
    const card = page.locator(`[data-server-id="${theirs}"]`);
    await card.waitFor();
    expect(await card.locator('[data-owner]').innerText()).toBe(OTHER_ORIGIN);
    expect(await card.locator('h2').innerText()).toContain('everything');
    await card.locator('button[data-action="remove"]').click();
    await card.waitFor({ state: 'detached' });
  });

  it('calls one of its tools from the "try a tool" form', async () => {
    const card = page.locator(`[data-server-id="${serverId}"]`);
    await card.locator('details.try-tool summary').click();
    await card.locator('select[id$="-tool"]').selectOption('echo');
    await card.locator('textarea[id$="-args"]').fill('{"message":"hello from the bridge UI"}');
    await card.locator('details.try-tool button[type="submit"]').click();
    const result = card.locator('pre[id$="-result"]');
    await result.filter({ hasText: 'hello from the bridge UI' }).waitFor();
    expect(await result.getAttribute('data-is-error')).toBe('false');
  });

  it('shows what the server asks and for whom, and sends the person\'s answers back to it', async () => {
    const webApp = await handshake(bridge);
    const call = (tool: string, args: object = {}) =>
      fetch(`${bridge.baseUrl}/api/v1/mcp/call`, { method: 'POST', headers: webApp.headers, body: JSON.stringify({ serverId, tool, arguments: args }) }).then(
        async (response) => JSON.stringify(((await response.json()) as { content: unknown }).content),
      );
    const panel = page.locator('#server-requests');

    // A form it asks for during the web app's call: for that web app, filled in by the person.
    const elicited = call('trigger-elicitation-request');
    const form = panel.locator('[data-kind="elicitation"]');
    await form.waitFor();
    expect(await form.getAttribute('data-visible-to')).toBe('caller');
    expect(await form.locator('[data-audience]').innerText()).toContain(bridge.origin);
    await form.getByLabel('String (required)', { exact: true }).fill('Ada Lovelace');
    await form.locator('button[data-answer="accept"]').click();
    expect(await elicited).toContain('Name: Ada Lovelace');
    await form.waitFor({ state: 'detached' });

    // A sampling request: the person reads the messages and writes the answer.
    const sampled = call('trigger-sampling-request', { prompt: 'Name a colour', maxTokens: 10 });
    const sampling = panel.locator('[data-kind="sampling"]');
    await sampling.waitFor();
    expect(await sampling.locator('.sampling-messages').innerText()).toContain('Name a colour');
    await sampling.getByLabel('Your answer, sent as the model\'s').fill('Ultramarine');
    await sampling.locator('button[data-answer="accept"]').click();
    expect(await sampled).toContain('Ultramarine');
    await sampling.waitFor({ state: 'detached' });
    expect(await panel.isHidden()).toBe(true);
  });

  it('puts a server request only the person may answer under "Needs you", and says why on the MCP page', async () => {
    const first = await handshake(bridge);
    // The local UI's own call (its "try a tool" form) is the other caller.
    const second = { headers: { 'x-osloop-ui-token': bridge.uiToken, 'content-type': 'application/json' } };
    const elicit = (caller: { headers: Record<string, string> }) =>
      fetch(`${bridge.baseUrl}/api/v1/mcp/call`, { method: 'POST', headers: caller.headers, body: JSON.stringify({ serverId, tool: 'trigger-elicitation-request' }) }).then(
        async (response) => JSON.stringify(((await response.json()) as { content: unknown }).content),
      );
    const panel = page.locator('#server-requests');
    const firstCall = elicit(first);
    await panel.locator('[data-kind="elicitation"][data-visible-to="caller"]').waitFor();
    // While the web app's call waits, the local UI's asks too: whose is the second request?
    const secondCall = elicit(second);
    const onlyYou = panel.locator('[data-visible-to="ui_only"]');
    await onlyYou.waitFor();
    expect(await onlyYou.locator('[data-audience]').innerText()).toContain('only you can answer');
    // The forms built from the server's schema are as accessible as the rest of the window.
    const axe = await new AxeBuilder({ page: page as never }).include('#server-requests').withTags(['wcag2a', 'wcag2aa', 'wcag21aa']).analyze();
    expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);

    await page.evaluate(() => (location.hash = 'status'));
    const needs = page.locator('#needs-you [data-needs="server-requests"] a');
    await needs.waitFor();
    expect(await needs.innerText()).toBe('1 MCP server request only you can answer');
    await page.locator('#needs-you [data-count]', { hasText: '1' }).waitFor();
    await needs.click();

    for (const card of [onlyYou, panel.locator('[data-visible-to="caller"]')]) {
      await card.locator('[data-answer="decline"]').click();
      await card.waitFor({ state: 'detached' });
    }
    expect(await Promise.all([firstCall, secondCall])).toEqual([expect.stringContaining('declined'), expect.stringContaining('declined')]);
    await page.evaluate(() => (location.hash = 'status'));
    await page.locator('#needs-you [data-needs="server-requests"]').waitFor({ state: 'detached' });
    await page.evaluate(() => (location.hash = 'mcp'));
  });

  it('says in words why a server failed, with the code beside it', async () => {
    const webApp = await handshake(bridge);
    const response = await fetch(`${bridge.baseUrl}/api/v1/mcp/servers`, {
      method: 'POST',
      headers: webApp.headers,
      body: JSON.stringify({ name: 'broken', transport: { type: 'streamable-http', url: 'http://127.0.0.1:9/mcp' } }),
    });
    const broken = ((await response.json()) as { serverId: string }).serverId;
    const card = page.locator(`[data-server-id="${broken}"]`);
    await card.locator('button[data-action="connect"]').click();
    // Connecting may first ask the person (the card then links to its prompt): allow it.
    const waiting = card.locator('[data-waiting] a');
    await Promise.race([waiting.waitFor(), card.locator('[data-error]').waitFor()]);
    if (await waiting.count()) {
      const promptId = new URLSearchParams((await waiting.getAttribute('href'))!.split('?')[1]).get('prompt')!;
      await fetch(`${bridge.baseUrl}/api/v1/system/permissions/prompts/${promptId}/resolve`, { method: 'POST', headers: { 'x-osloop-ui-token': bridge.uiToken, 'content-type': 'application/json' }, body: '{"decision":"allow_once"}' });
    }
    const error = card.locator('[data-error]');
    await error.waitFor({ timeout: 30_000 });
    expect(await error.innerText()).toContain('The server failed while connecting or running.');
    expect(await error.locator('.tag').innerText()).toBe('upstream_error');
    expect(await card.locator('.state-failed').count()).toBe(1);
  });

  it('removes a server after asking', async () => {
    const { servers } = (await (await fetch(`${bridge.baseUrl}/api/v1/mcp/servers`, { headers: { 'x-osloop-ui-token': bridge.uiToken } })).json()) as { servers: Array<{ serverId: string; name: string }> };
    const broken = servers.find((s) => s.name === 'broken')!;
    await page.locator(`[data-server-id="${broken.serverId}"] button[data-action="remove"]`).click();
    await page.locator(`[data-server-id="${broken.serverId}"]`).waitFor({ state: 'detached' });
    const after = (await (await fetch(`${bridge.baseUrl}/api/v1/mcp/servers`, { headers: { 'x-osloop-ui-token': bridge.uiToken } })).json()) as { servers: Array<{ name: string }> };
    expect(after.servers.map((s) => s.name)).toEqual(['everything']);
  });

  it('shows the stderr of the current process only: an earlier attempt\'s lines are cleared', async () => {
    const webApp = await handshake(bridge);
    const ui = { 'x-osloop-ui-token': bridge.uiToken, 'content-type': 'application/json' };
    // Each start prints which attempt it is (counted in a file) and exits: a server that cannot start.
    const counter = path.join(os.tmpdir(), `osloop-ui-attempts-${process.pid}-${Date.now()}`);
    const script = `const fs=require('fs');const f=${JSON.stringify(counter)};const n=(fs.existsSync(f)?Number(fs.readFileSync(f,'utf8')):0)+1;fs.writeFileSync(f,String(n));console.error('attempt '+n);process.exit(1)`;
    const stdio = { command: process.execPath, args: ['-e', script] };
    const created = await fetch(`${bridge.baseUrl}/api/v1/mcp/servers`, { method: 'POST', headers: webApp.headers, body: JSON.stringify({ name: 'crashing', transport: { type: 'stdio', ...stdio, template: stdio } }) });
    const crashing = ((await created.json()) as { serverId: string }).serverId;
    const card = page.locator(`[data-server-id="${crashing}"]`);
    const attempt = async (n: number) => {
      const reply = (await (await fetch(`${bridge.baseUrl}/api/v1/mcp/servers/${crashing}/connect`, { method: 'POST', headers: ui })).json()) as { promptId?: string };
      if (reply.promptId) await fetch(`${bridge.baseUrl}/api/v1/system/permissions/prompts/${reply.promptId}/resolve`, { method: 'POST', headers: ui, body: '{"decision":"allow_once"}' });
      await card.locator('pre.terminal', { hasText: `attempt ${n}` }).waitFor({ timeout: 30_000 });
      await card.locator('.state-failed').waitFor({ timeout: 30_000 });
    };
    await attempt(1);
    await attempt(2);
    expect(await card.locator('pre.terminal').innerText()).toBe('attempt 2');
    await rm(counter, { force: true });
  });

  it('says how the bridge signs in to an HTTP server, and where the client\'s secret may go, never the secret', async () => {
    const webApp = await handshake(bridge);
    const oauth = { clientId: 'osloop-desk', clientSecret: 'a-secret-never-shown', issuer: 'https://auth.example.com' };
    const created = await fetch(`${bridge.baseUrl}/api/v1/mcp/servers`, {
      method: 'POST',
      headers: webApp.headers,
      body: JSON.stringify({ name: 'remote', transport: { type: 'streamable-http', url: 'http://127.0.0.1:9/mcp', oauth } }),
    });
    expect(created.status).toBe(201);
    const remote = ((await created.json()) as { serverId: string }).serverId;
    const signIn = page.locator(`[data-server-id="${remote}"] [data-sign-in]`);
    await signIn.waitFor();
    expect(await signIn.innerText()).toBe('OAuth, client osloop-desk, with a secret the bridge keeps, presented only to https://auth.example.com');
    expect(await page.content()).not.toContain('a-secret-never-shown');
    // The stdio server has no sign-in row.
    expect(await page.locator(`[data-server-id="${serverId}"] [data-sign-in]`).count()).toBe(0);
  });

  it('adds a server the user types in: theirs, hidden from web apps, usable by the local user', async () => {
    const form = page.locator('#add-server');
    await form.locator('summary').click();
    await form.getByLabel('Name', { exact: true }).fill('my-files');
    await form.getByLabel('Command', { exact: true }).fill(process.execPath);
    await form.getByLabel('Arguments, one per line').fill(`${EVERYTHING_ENTRY}\nstdio`);
    // A malformed environment line is the user's to fix: nothing is sent.
    await form.getByLabel(/^Environment/).fill('NO_EQUALS_SIGN');
    await form.locator('button[type="submit"]').click();
    expect(await form.locator('[role="alert"]').innerText()).toContain('"NO_EQUALS_SIGN" has no NAME=value form');
    await form.getByLabel(/^Environment/).fill('API_KEY=typed-by-the-user');
    // The form is as accessible as the rest of the window.
    const axe = await new AxeBuilder({ page: page as never }).include('#add-server').withTags(['wcag2a', 'wcag2aa', 'wcag21aa']).analyze();
    expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);
    await form.locator('button[type="submit"]').click();

    const card = page.locator('[data-server-id]', { has: page.locator('h2', { hasText: 'my-files' }) });
    await card.waitFor();
    expect(await card.locator('[data-owner]').innerText()).toContain('you (no web app)');
    // The value typed is kept, never shown; the bridge stores it as the user gave it.
    expect(await page.content()).not.toContain('typed-by-the-user');
    const listed = (await (await fetch(`${bridge.baseUrl}/api/v1/mcp/servers`, { headers: { 'x-osloop-ui-token': bridge.uiToken } })).json()) as { servers: Array<{ name: string; origin: string | null; transport: { command?: string; args?: string[]; envNames?: string[] } }> };
    expect(listed.servers.find((s) => s.name === 'my-files')).toMatchObject({ origin: null, transport: { command: process.execPath, args: [EVERYTHING_ENTRY, 'stdio'], envNames: ['API_KEY'] } });
    // No web app sees it.
    const webApp = await handshake(bridge);
    const theirs = (await (await fetch(`${bridge.baseUrl}/api/v1/mcp/servers`, { headers: webApp.headers })).json()) as { servers: Array<{ name: string }> };
    expect(theirs.servers.map((s) => s.name)).not.toContain('my-files');
    await card.locator('button[data-action="remove"]').click();
    await card.waitFor({ state: 'detached' });
  });

  it('disconnects it', async () => {
    await page.locator(`[data-server-id="${serverId}"] button[data-action="disconnect"]`).click();
    await page.locator(`[data-server-id="${serverId}"] .state-disconnected`).waitFor();
  });

  it('threw no error', () => {
    expect(pageErrors(page)).toEqual([]);
  });
});
