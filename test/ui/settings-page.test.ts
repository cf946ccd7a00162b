import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBridge, type TestBridge } from '../support/test-bridge.js';
import { chromiumAvailable, launchChromium, openUi, pageErrors } from './support/chromium.js';

describe.skipIf(!chromiumAvailable('settings page'))('settings page (Chromium against a real bridge)', () => {
  let bridge: TestBridge;
  let browser: Browser;
  let page: Page;
  const saved = async () => JSON.parse(await readFile(bridge.paths.configFile, 'utf8')) as Record<string, unknown>;

  beforeAll(async () => {
    bridge = await startTestBridge();
    browser = await launchChromium();
    page = await openUi(browser, bridge.baseUrl, bridge.uiToken, 'settings');
    await page.waitForSelector('#save');
  });
  afterAll(async () => {
    await browser?.close();
    await bridge?.close();
  });

  it('persists a change to the config file and tells the bridge actor', async () => {
    await page.check('#trayMode');
    await page.fill('#promptTimeoutMs', '45');
    await page.fill('#denyList', 'rm\nshutdown');
    await page.fill('#allowedOrigins', 'https://app.example.com');
    await page.click('#save');
    await page.locator('#settings-status', { hasText: 'Saved.' }).waitFor();
    expect(await saved()).toMatchObject({ trayMode: true, promptTimeoutMs: 45_000, denyList: ['rm', 'shutdown'], allowedOrigins: ['https://app.example.com'] });
    expect(bridge.runtime.root.getSnapshot().context).toMatchObject({ trayMode: true, promptTimeoutMs: 45_000 });
  });

  it('saves a new port for the next start and says so, without moving the running bridge', async () => {
    await page.fill('#port', '47999');
    await page.click('#save');
    await page.locator('#restart-note', { hasText: 'port 47999 applies when it restarts' }).waitFor();
    expect(await page.locator('#restart-note').isVisible()).toBe(true);
    expect((await saved()).port).toBe(47999);
    expect(bridge.runtime.root.getSnapshot().context.activePort).toBe(bridge.port());
  });

  it('shows a refused value next to its field and saves nothing', async () => {
    const before = await readFile(bridge.paths.configFile, 'utf8');
    await page.fill('#allowedOrigins', 'https://app.example.com/with/path');
    await page.click('#save');
    await page.locator('#allowedOrigins-error', { hasText: 'exact origin' }).waitFor();
    expect(await page.locator('#settings-status').innerText()).toContain('Not saved');
    expect(await readFile(bridge.paths.configFile, 'utf8')).toBe(before);
  });

  it('threw no error', () => {
    expect(pageErrors(page)).toEqual([]);
  });
});
