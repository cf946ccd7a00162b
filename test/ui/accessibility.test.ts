import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBridge, type TestBridge } from '../support/test-bridge.js';
import { chromiumAvailable, launchChromium, openUi, pageErrors } from './support/chromium.js';
import { webAppFor, type WebApp } from './support/web-app.js';

const INHIBITOR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/awake-inhibitor.mjs');

/** Every page, and what shows that it has rendered its data. */
const PAGES = (ids: Record<string, string>): Array<[string, string]> => [
  ['status', '#needs-you [data-count]'],
  ['approvals', '[data-prompt-id]'],
  ['rules', '#rules > *'],
  ['history', '#decisions tr[data-decision-id]'],
  [`runs?run=${ids.failed}`, '#failure-reason:not([hidden])'],
  [`runs?run=${ids.rejected}`, '#failure-reason:not([hidden])'],
  [`runs?run=${ids.coloured}`, '#run-output .ansi-bold'],
  ['mcp', '#servers article'],
  ['awake', '#awake tr[data-lock-id]'],
  ['inspector', '#statechart svg'],
  ['settings', '#sessions tr[data-session-id]'],
];

describe.skipIf(!chromiumAvailable('accessibility and layout'))('every page: contrast and accessibility (axe-core), layout at 800 and 1920 px, no console error (Chromium)', () => {
  let bridge: TestBridge;
  let browser: Browser;
  let app: WebApp;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    bridge = await startTestBridge({ config: { commandPath: 'inherited', promptTimeoutMs: 30 * 60_000, awake: { inhibitorCommand: [process.execPath, INHIBITOR, '{pid}', '{reason}'] } } });
    app = await webAppFor(bridge);
    const coloured = await app.execute('printf', ['\u001b[1mbold\u001b[0m \u001b[32mgreen\u001b[0m \u001b[31mred\u001b[0m\\n'], { title: 'Colours' });
    await app.resolve(coloured.promptId!, 'allow_once');
    ids.coloured = coloured.runId;
    const failed = await app.execute('not-a-real-program-here', []);
    await app.resolve(failed.promptId!, 'allow_once');
    ids.failed = failed.runId;
    const rejected = await app.execute('rm', ['-rf', '/tmp/never']);
    await app.resolve(rejected.promptId!, 'reject');
    ids.rejected = rejected.runId;
    for (const id of [coloured.runId, failed.runId, rejected.runId]) await app.settled(id);
    for (const args of [['install'], ['test'], ['run', 'lint']]) await app.execute('npm', args);
    await app.call('POST', '/api/v1/awake/acquire', { reason: 'Agent is working' });
    await app.call('POST', '/api/v1/mcp/servers', { name: 'docs', transport: { type: 'streamable-http', url: 'http://127.0.0.1:9/mcp' } });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await bridge?.close();
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    // axe walks every page; on a loaded two-core machine that took over a minute once.
    it(`has no serious or critical axe violation on any page in ${colorScheme} mode (contrast included)`, { timeout: 180_000 }, async () => {
      const page = await openUi(browser, bridge.baseUrl, bridge.uiToken, 'status', { colorScheme });
      const found: string[] = [];
      for (const [hash, ready] of PAGES(ids)) {
        await page.evaluate((h) => (location.hash = h), hash);
        await page.waitForSelector(ready);
        const result = await new AxeBuilder({ page: page as never }).withTags(['wcag2a', 'wcag2aa', 'wcag21aa']).analyze();
        for (const v of result.violations.filter((x) => x.impact === 'serious' || x.impact === 'critical')) {
          found.push(`${hash}: ${v.id} (${v.impact}) at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
        }
      }
      expect(found).toEqual([]);
      expect(pageErrors(page)).toEqual([]);
      await page.context().close();
    });
  }

  for (const width of [800, 1920]) {
    it(`lays every page out at ${width} px without sideways scrolling or a console error`, { timeout: 180_000 }, async () => {
      const page: Page = await openUi(browser, bridge.baseUrl, bridge.uiToken, 'status', { width });
      const overflowing: string[] = [];
      for (const [hash, ready] of PAGES(ids)) {
        await page.evaluate((h) => (location.hash = h), hash);
        await page.waitForSelector(ready);
        const { scroll, view } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, view: window.innerWidth }));
        if (scroll > view) overflowing.push(`${hash}: ${scroll} px wide in a ${view} px window`);
      }
      expect(overflowing).toEqual([]);
      expect(pageErrors(page)).toEqual([]);
      await page.context().close();
    });
  }
});
