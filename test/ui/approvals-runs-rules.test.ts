import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBridge, type TestBridge } from '../support/test-bridge.js';
import { chromiumAvailable, launchChromium, openUi, pageErrors } from './support/chromium.js';
import { webAppFor, type WebApp } from './support/web-app.js';

/** A command printing green text: its output must come back coloured, not as raw escapes. */
const GREEN = '\u001b[32mgreen\u001b[0m and plain\n';
/** The same argument as the approvals page shows it: control characters made visible. */
const GREEN_SHOWN = '\u241b[32mgreen\u241b[0m and plain\u240a';

describe.skipIf(!chromiumAvailable('approvals, runs and rules pages'))('approvals → runs → rules (Chromium against a real bridge)', () => {
  let bridge: TestBridge;
  let browser: Browser;
  let page: Page;
  let webApp: WebApp;
  const ui = () => ({ 'x-osloop-ui-token': bridge.uiToken, 'content-type': 'application/json' });

  /** The web app asks to run `printf <text>`, as a browser agent would. */
  const execute = (text: string, title: string) => webApp.execute('printf', [text], { title });

  beforeAll(async () => {
    // Commands resolve on the bridge's own PATH: this test is about the pages, not about the
    // user's login shell (whose rc files can take a minute to load on a busy machine).
    bridge = await startTestBridge({ config: { commandPath: 'inherited' } });
    webApp = await webAppFor(bridge);
    browser = await launchChromium();
    page = await openUi(browser, bridge.baseUrl, bridge.uiToken, 'approvals');
    page.on('dialog', (dialog) => void dialog.accept());
  });
  afterAll(async () => {
    await browser?.close();
    await bridge?.close();
  });

  it('approves a real command from the approvals page and shows its coloured output on the runs page', async () => {
    const { runId, promptId, state } = await execute(GREEN, 'Print in green');
    expect(state).toBe('awaiting_permission');
    const card = page.locator(`[data-prompt-id="${promptId}"]`);
    await card.waitFor();
    expect(await card.locator('.cmdline .arg').allTextContents()).toEqual(['printf', GREEN_SHOWN]);
    expect(await card.innerText()).toContain('the UI test asked');
    expect(await card.locator('.countdown').innerText()).toMatch(/^\d+ s$/);
    expect(await card.locator('code.rule').textContent()).toBe(`printf ${GREEN_SHOWN}`);

    await card.locator('button[data-action="allow_and_whitelist"]').click();
    await card.waitFor({ state: 'detached' });

    await page.evaluate(() => (location.hash = 'runs'));
    const item = page.locator(`#run-list button[data-run-id="${runId}"]`);
    await item.waitFor();
    await item.click();
    await page.locator('#run-detail .state-completed').waitFor();
    const green = page.locator('#run-output .ansi-green-fg');
    await green.waitFor();
    expect(await green.innerText()).toBe('green');
    expect(await page.locator('#run-output').innerText()).toBe('green and plain\n');
    expect(await page.locator('#terminate').isHidden()).toBe(true);
  });

  it('lists the rule that approval saved, and revokes it', async () => {
    await page.evaluate(() => (location.hash = 'rules'));
    const row = page.locator('#rules tr[data-rule-id]');
    await row.waitFor();
    expect(await row.innerText()).toContain('printf');
    expect(await row.innerText()).toContain('exactly these arguments');

    const again = await execute(GREEN, 'Same command, allowed by the rule');
    expect(again.state).not.toBe('awaiting_permission');
    await row.locator('button', { hasText: 'Revoke' }).click();
    await row.waitFor({ state: 'detached' });
    const { rules } = (await (await fetch(`${bridge.baseUrl}/api/v1/system/permissions/commands`, { headers: ui() })).json()) as { rules: unknown[] };
    expect(rules).toEqual([]);
    const afterRevoke = await execute(GREEN, 'Asks again once the rule is gone');
    expect(afterRevoke.state).toBe('awaiting_permission');
    await fetch(`${bridge.baseUrl}/api/v1/system/permissions/prompts/${afterRevoke.promptId}/resolve`, { method: 'POST', headers: ui(), body: '{"decision":"reject"}' });
  });

  it('watches the inspector highlight a run moving to completed', async () => {
    const { runId, promptId } = await execute('done\n', 'Watched in the inspector');
    await page.evaluate(() => (location.hash = 'inspector'));
    const actor = page.locator(`#actor-tree button[data-actor-id="${runId}"]`);
    await actor.waitFor();
    await actor.click();
    await page.waitForSelector('#statechart .node.active[data-state-path="awaiting_permission"]');

    await fetch(`${bridge.baseUrl}/api/v1/system/permissions/prompts/${promptId}/resolve`, { method: 'POST', headers: ui(), body: '{"decision":"allow_once"}' });
    await page.waitForSelector('#statechart .node.active[data-state-path="completed"]');
    expect(await page.locator('#current-state').innerText()).toBe('completed');
  });

  it('shows a rule made while the rules page was loading its list', async () => {
    // The page subscribes to rule changes, then lists the rules; a rule saved in between must
    // appear, whatever order the list's answer and the change's event arrive in.
    const framesSeen: string[] = [];
    const tab = await openUi(browser, bridge.baseUrl, bridge.uiToken, 'status', {
      beforeLoad: (t) => t.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => void framesSeen.push(String(payload)))),
    });
    try {
      await tab.route(
        '**/api/v1/system/permissions/commands',
        async (route) => {
          const stale = await route.fetch(); // the list as it is now: no rule
          const { promptId } = await execute('made while loading\n', 'Ruled while the page loads');
          await webApp.resolve(promptId!, 'allow_and_whitelist');
          await expect.poll(() => framesSeen.some((frame) => frame.includes('permission.whitelist.updated')), { timeout: 20_000 }).toBe(true);
          await route.fulfill({ response: stale });
        },
        { times: 1 },
      );
      await tab.evaluate(() => (location.hash = 'rules'));
      await tab.locator('#rules tr[data-rule-id]', { hasText: 'made while loading' }).waitFor();
      expect(pageErrors(tab)).toEqual([]);
    } finally {
      await tab.context().close();
    }
  });

  it('threw no error', () => {
    expect(pageErrors(page)).toEqual([]);
  });
});
