import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBridge, type TestBridge } from '../support/test-bridge.js';
import { chromiumAvailable, launchChromium, openUi, pageErrors } from './support/chromium.js';

/** What a bridge without the capability answers on a contract route (see `toBridgeError`). */
const NOT_IMPLEMENTED = { status: 501, contentType: 'application/json', body: JSON.stringify({ error: { code: 'unsupported', message: 'This route is not implemented by this bridge yet.', details: { reason: 'not_implemented' } } }) };

const PAGES = [
  ['rules', '/api/v1/system/permissions/commands', 'Whitelist rules'],
  ['runs', '/api/v1/system/commands/runs*', 'Command runs'],
  ['mcp', '/api/v1/mcp/servers', 'MCP servers'],
  ['awake', '/api/v1/awake/status', 'Sleep prevention'],
] as const;

describe.skipIf(!chromiumAvailable('pages of missing capabilities'))('pages of a capability the bridge lacks (501)', () => {
  let bridge: TestBridge;
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    bridge = await startTestBridge();
    browser = await launchChromium();
    page = await openUi(browser, bridge.baseUrl, bridge.uiToken);
    // The real bridge serves these routes by now; the page must still cope with one that does not.
    for (const [, route] of PAGES) await page.route(`**${route}`, (r) => r.fulfill(NOT_IMPLEMENTED));
  });
  afterAll(async () => {
    await browser?.close();
    await bridge?.close();
  });

  it.each(PAGES)('%s says "not available on this bridge yet" instead of breaking', async (name, _route, what) => {
    await page.evaluate((p) => (location.hash = p), name);
    const note = page.locator('[data-unavailable]');
    await note.waitFor();
    expect(await note.innerText()).toContain(`${what}: not available on this bridge yet.`);
    expect(await page.locator('#conn').innerText()).toBe('live');
  });

  it('threw no error', () => {
    expect(pageErrors(page)).toEqual([]);
  });
});
