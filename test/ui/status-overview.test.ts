import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBridge, type TestBridge } from '../support/test-bridge.js';
import { chromiumAvailable, launchChromium, openUi, pageErrors } from './support/chromium.js';
import { webAppFor, type WebApp } from './support/web-app.js';

const INHIBITOR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/awake-inhibitor.mjs');

/** Words of `selector`'s text that the layout broke across two lines ("in-proces s"). */
export const brokenWords = (page: Page, selector: string) =>
  page.$$eval(selector, (elements) => {
    const broken: string[] = [];
    for (const element of elements) {
      const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
      while (walker.nextNode()) {
        const node = walker.currentNode as Text;
        for (const match of node.data.matchAll(/\S+/g)) {
          const range = document.createRange();
          range.setStart(node, match.index);
          range.setEnd(node, match.index + match[0].length);
          const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
          if (lines.size > 1) broken.push(match[0]);
        }
      }
    }
    return broken;
  });

describe.skipIf(!chromiumAvailable('status overview'))('status overview: what needs me, what runs, what is broken (Chromium, real bridge)', () => {
  let bridge: TestBridge;
  let browser: Browser;
  let page: Page;
  let app: WebApp;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    bridge = await startTestBridge({
      config: {
        commandPath: 'inherited',
        awake: { inhibitorCommand: [process.execPath, INHIBITOR, '{pid}', '{reason}'] },
        mcp: { reconnect: { maxAttempts: 0, initialDelayMs: 10, maxDelayMs: 10 } },
      },
    });
    app = await webAppFor(bridge);
    const running = await app.execute('sleep', ['600'], { title: 'Watch the build', keepAwake: true });
    await app.resolve(running.promptId!, 'allow_once');
    ids.running = running.runId;
    const failing = await app.execute('pnpm-that-is-not-installed', ['build']);
    await app.resolve(failing.promptId!, 'allow_once');
    ids.failing = failing.runId;
    expect((await app.settled(failing.runId)).state).toBe('failed');
    const pending = await app.execute('rm', ['-rf', 'build']);
    ids.pending = pending.promptId!;
    const broken = await app.call('POST', '/api/v1/mcp/servers', { name: 'broken-server', transport: { type: 'streamable-http', url: 'http://127.0.0.1:9/mcp' } });
    const connecting = await app.call('POST', `/api/v1/mcp/servers/${broken.body.serverId}/connect`, {});
    if (connecting.body.promptId) await app.resolve(String(connecting.body.promptId), 'allow_once');
    browser = await launchChromium();
    page = await openUi(browser, bridge.baseUrl, bridge.uiToken, 'status', { width: 800 });
  });
  afterAll(async () => {
    if (ids.running) await app?.call('POST', `/api/v1/system/commands/runs/${ids.running}/terminate`, {}, app.ui);
    await browser?.close();
    await bridge?.close();
  });

  it('puts what needs me first, linking to the prompt', async () => {
    await page.locator('#needs-you [data-count]', { hasText: '1' }).waitFor();
    const link = page.locator(`#needs-you a[href="#approvals?prompt=${ids.pending}"]`);
    expect(await link.innerText()).toBe('rm -rf build');
    expect(await page.locator('#needs-you').getAttribute('data-tone')).toBe('attention');
  });

  it('lists what runs, with a duration that keeps counting', async () => {
    const duration = page.locator(`#running [data-duration-of="${ids.running}"]`);
    await duration.waitFor();
    const first = await duration.innerText();
    await page.waitForFunction(([selector, was]) => document.querySelector(selector!)?.textContent !== was, [`#running [data-duration-of="${ids.running}"]`, first] as const);
    expect(await page.locator('#running a', { hasText: 'sleep 600' }).getAttribute('href')).toBe(`#runs?run=${ids.running}`);
  });

  it('lists what is broken: the failed MCP server and the run that could not start, with the reason', async () => {
    await page.locator('#broken [data-broken="mcp"]', { hasText: 'broken-server' }).waitFor({ timeout: 30_000 });
    const run = page.locator('#broken [data-broken="run"]');
    expect(await run.innerText()).toContain('Could not start "pnpm-that-is-not-installed": ENOENT');
    expect(await page.locator('#broken').getAttribute('data-tone')).toBe('bad');
  });

  it('says what keeps the computer awake: the run, until it ends', async () => {
    const lock = page.locator('#keeping-awake a', { hasText: 'until the run ends' });
    await lock.waitFor();
    expect(await lock.getAttribute('href')).toBe(`#runs?run=${ids.running}`);
  });

  it('never breaks a value mid-word at 800 px, live actors included', async () => {
    await page.locator('[data-fact="actors"] li', { hasText: 'commandRun' }).waitFor();
    expect(await brokenWords(page, '.fact dd, .card h2, #needs-you li, #running td')).toEqual([]);
  });

  it('threw no error', () => {
    expect(pageErrors(page)).toEqual([]);
  });
});
