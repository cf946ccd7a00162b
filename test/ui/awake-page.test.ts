import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBridge, type TestBridge } from '../support/test-bridge.js';
import { chromiumAvailable, launchChromium, openUi, pageErrors } from './support/chromium.js';
import { webAppFor, type WebApp } from './support/web-app.js';

/** The stand-in inhibitor (systemd-inhibit cannot work here): it lives until it is killed. */
const INHIBITOR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/awake-inhibitor.mjs');

describe.skipIf(!chromiumAvailable('awake page'))('awake page (Chromium, a real bridge and inhibitor process)', () => {
  let bridge: TestBridge;
  let browser: Browser;
  let page: Page;
  let app: WebApp;
  let runId: string;

  beforeAll(async () => {
    bridge = await startTestBridge({ config: { commandPath: 'inherited', awake: { inhibitorCommand: [process.execPath, INHIBITOR, '{pid}', '{reason}'] } } });
    app = await webAppFor(bridge);
    const run = await app.execute('sleep', ['600'], { title: 'Long build', keepAwake: true });
    await app.resolve(run.promptId!, 'allow_once');
    runId = run.runId;
    await app.call('POST', '/api/v1/awake/acquire', { reason: 'Agent is reading the docs' });
    browser = await launchChromium();
    page = await openUi(browser, bridge.baseUrl, bridge.uiToken, 'awake');
  });
  afterAll(async () => {
    if (runId) await app?.call('POST', `/api/v1/system/commands/runs/${runId}/terminate`, {}, app.ui);
    await browser?.close();
    await bridge?.close();
  });

  it('says a run\'s lock lasts until the run ends, and links to the run', async () => {
    const link = page.locator('#awake a', { hasText: 'until the run ends' });
    await link.waitFor();
    expect(await link.getAttribute('href')).toBe(`#runs?run=${runId}`);
    const row = page.locator('#awake tr', { has: link });
    expect(await row.locator('button[data-action="release"]').count()).toBe(0);
  });

  it('releases a lock from its Release button', async () => {
    const row = page.locator('#awake tr', { hasText: 'Agent is reading the docs' });
    await row.locator('button[data-action="release"]').click();
    await row.waitFor({ state: 'detached' });
    const status = (await app.call('GET', '/api/v1/awake/status', undefined, app.ui)).body as { locks: Array<{ reason: string }> };
    expect(status.locks.map((l) => l.reason)).toEqual(['Long build']);
  });

  it('threw no error', () => {
    expect(pageErrors(page)).toEqual([]);
  });
});
