import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestBridge, type TestBridge } from '../support/test-bridge.js';
import { chromiumAvailable, launchChromium, openUi, pageErrors } from './support/chromium.js';
import { webAppFor } from './support/web-app.js';

describe.skipIf(!chromiumAvailable('the first-start approvals choice'))('first start: the status window asks once who may answer prompts (Chromium against a real bridge)', () => {
  let browser: Browser;
  let bridge: TestBridge | undefined;
  let page: Page | undefined;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterEach(async () => {
    await page?.context().close();
    await bridge?.close();
    bridge = undefined;
  });
  afterAll(async () => {
    await browser?.close();
  });

  const settings = async (b: TestBridge) => (await (await fetch(`${b.baseUrl}/api/v1/ui/settings`, { headers: { 'x-osloop-ui-token': b.uiToken } })).json()) as { approvalsLocalOnly: boolean; approvalsChosenAt: string | null };
  const savedApprovals = async (b: TestBridge) => (JSON.parse(await readFile(b.paths.configFile, 'utf8')) as { approvals?: { localOnly: boolean; chosenAt: string | null } }).approvals;

  it('the Status page asks until the user chooses; "Let the web app answer too" saves localOnly off with when, and the question is gone for good', async () => {
    bridge = await startTestBridge();
    expect(await settings(bridge)).toMatchObject({ approvalsLocalOnly: true, approvalsChosenAt: null });
    page = await openUi(browser, bridge.baseUrl, bridge.uiToken, 'status');
    await page.locator('#approvals-choice-slot[data-asked="true"]').waitFor({ state: 'attached' });
    const notice = page.locator('#approvals-choice');
    await notice.waitFor();
    expect(await notice.innerText()).toContain('Who may answer permission prompts?');
    await page.locator('#approvals-choice-web').click();
    await notice.waitFor({ state: 'detached' });

    const now = await settings(bridge);
    expect(now.approvalsLocalOnly).toBe(false);
    expect(Date.parse(String(now.approvalsChosenAt))).not.toBeNaN();
    expect(await savedApprovals(bridge)).toEqual({ localOnly: false, chosenAt: now.approvalsChosenAt });
    // The web app's session may now answer its own prompt: the choice is in force.
    const webApp = await webAppFor(bridge);
    const { promptId } = await webApp.execute('echo', ['chosen']);
    expect((await webApp.resolveAsWebApp(String(promptId), 'reject')).status).toBe(200);

    // Asked once: neither page asks again, and Settings shows the choice and when it was made.
    await page.reload();
    await page.waitForSelector('#conn.ok');
    await page.locator('#approvals-choice-slot[data-asked="false"]').waitFor({ state: 'attached' });
    expect(await page.locator('#approvals-choice').count()).toBe(0);
    await page.evaluate(() => (location.hash = 'settings'));
    await page.locator('#approvals-choice-slot[data-asked="false"]').waitFor({ state: 'attached' });
    expect(await page.locator('#approvalsLocalOnly').isChecked()).toBe(false);
    expect(await page.locator('#approvalsLocalOnly-chosen').innerText()).toContain('You chose this on');
    expect(await page.locator('#approvals-choice').count()).toBe(0);
    expect(pageErrors(page)).toEqual([]);
  });

  it('the Settings page asks too; "Only this window answers" records the choice and keeps the web app from answering', async () => {
    bridge = await startTestBridge();
    page = await openUi(browser, bridge.baseUrl, bridge.uiToken, 'settings');
    await page.locator('#approvals-choice').waitFor();
    expect(await page.locator('#approvalsLocalOnly-chosen').innerText()).toContain('Not chosen yet');
    await page.locator('#approvals-choice-local').click();
    await page.locator('#approvals-choice').waitFor({ state: 'detached' });
    expect(await page.locator('#approvalsLocalOnly').isChecked()).toBe(true);
    expect(await page.locator('#approvalsLocalOnly-chosen').innerText()).toContain('You chose this on');

    const now = await settings(bridge);
    expect(now.approvalsLocalOnly).toBe(true);
    expect(await savedApprovals(bridge)).toEqual({ localOnly: true, chosenAt: now.approvalsChosenAt });
    const webApp = await webAppFor(bridge);
    const { promptId } = await webApp.execute('echo', ['local only']);
    expect((await webApp.resolveAsWebApp(String(promptId), 'reject')).status).toBe(403);

    await page.evaluate(() => (location.hash = 'status'));
    await page.locator('#approvals-choice-slot[data-asked="false"]').waitFor({ state: 'attached' });
    expect(await page.locator('#approvals-choice').count()).toBe(0);
    expect(pageErrors(page)).toEqual([]);
  });
});
