import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handshake, type TestBridge } from '../support/test-bridge.js';
import { chromiumAvailable, launchChromium, openUi, pageErrors } from '../ui/support/chromium.js';
import { collectEvents, startClientBridge, type ClientBridge } from './system-support.js';

const recipesFile = path.resolve(import.meta.dirname, '../fixtures/system-recipes.json');

describe.skipIf(!chromiumAvailable('install approval'))('an install on the approvals page (Chromium against a real bridge)', () => {
  let b: ClientBridge;
  let bridge: TestBridge;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    b = await startClientBridge({ config: { system: { recipesFile }, commandPath: 'inherited' } });
    bridge = b.bridge;
    browser = await launchChromium();
    page = await openUi(browser, bridge.baseUrl, bridge.uiToken, 'approvals');
  });
  afterAll(async () => {
    await browser?.close();
    await b?.close();
  });

  it('shows every step the one approval covers, and one click runs them all', async () => {
    const { headers } = await handshake(bridge);
    const response = await fetch(`${bridge.baseUrl}/api/v1/system/tools/install`, {
      method: 'POST',
      headers: { ...headers, prefer: 'respond-async' },
      body: JSON.stringify({ toolId: 'osloop-fixture', reason: 'the skill needs it' }),
    });
    const { runId, promptId } = (await response.json()) as { runId: string; promptId: string };
    const events = collectEvents(b.ui, ['system.tool.install_completed', 'permission.prompt.created']);

    const card = page.locator(`[data-prompt-id="${promptId}"]`);
    await card.waitFor();
    const steps = card.locator('ol li .cmdline');
    expect(await steps.count()).toBe(2);
    expect(await steps.nth(0).locator('.arg').allTextContents()).toEqual(['node', '-e', "console.log('fetching osloop-fixture'); console.error('warning: nothing to fetch')"]);
    expect(await steps.nth(1).locator('.arg').allTextContents()).toEqual(['node', '-e', "console.log('installed osloop-fixture')"]);
    expect(await card.innerText()).toContain('exactly these and nothing else');
    expect(await card.locator('button[data-action="allow_and_whitelist"]').count()).toBe(0);

    await card.locator('button[data-action="allow_once"]').click();
    await card.waitFor({ state: 'detached' });
    expect(await events.next('system.tool.install_completed', (data) => data.installId === runId)).toMatchObject({ tool: { installed: true } });
    // No second prompt for the second step.
    expect(events.events.filter((event) => event.type === 'permission.prompt.created').map((event) => (event.data as { promptId: string }).promptId)).toEqual([promptId]);
    expect(pageErrors(page)).toEqual([]);
    events.stop();
  });
});
