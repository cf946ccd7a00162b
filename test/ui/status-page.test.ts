import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handshake, startTestBridge, type TestBridge } from '../support/test-bridge.js';
import { chromiumAvailable, launchChromium, openUi, pageErrors } from './support/chromium.js';

describe.skipIf(!chromiumAvailable('status page'))('status page (Chromium against a real bridge)', () => {
  let bridge: TestBridge;
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    bridge = await startTestBridge();
    browser = await launchChromium();
    page = await openUi(browser, bridge.baseUrl, bridge.uiToken);
  });
  afterAll(async () => {
    await browser?.close();
    await bridge?.close();
  });

  it('takes the token out of the address bar and keeps it for this tab only', async () => {
    expect(page.url()).not.toContain(bridge.uiToken);
    expect(page.url().endsWith('#status')).toBe(true);
    expect(await page.evaluate(() => sessionStorage.getItem('osloop.uiToken'))).toBe(bridge.uiToken);
    expect(bridge.logs.join('')).not.toContain(bridge.uiToken);
  });

  it('shows the configured and bound port, bind state, version and bus', async () => {
    const fact = (id: string) => page.locator(`[data-fact="${id}"] dd`).innerText();
    await page.waitForSelector('[data-fact="bind-state"]');
    expect(await fact('configured-port')).toBe(String(bridge.port()));
    expect(await fact('active-port')).toBe(`127.0.0.1:${bridge.port()}`);
    expect(await fact('bind-state')).toBe('listening');
    expect(await fact('bus')).toMatch(/embedded/);
    expect(await fact('version')).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('highlights a malformed request in the connection log as it happens', async () => {
    const session = await handshake(bridge);
    const response = await fetch(`${bridge.baseUrl}/api/v1/api/v1/bridge/info`, { headers: session.headers });
    expect(response.status).toBe(404);
    const row = page.locator('#connection-log tr.malformed', { hasText: '/api/v1/api/v1/bridge/info' });
    await row.waitFor();
    expect(await row.innerText()).toContain('did you mean /api/v1/bridge/info?');
    expect(await row.locator('.tag.warn').innerText()).toMatch(/malformed path/);
    expect(await page.locator('#connection-log tr', { hasText: '/api/v1/session/handshake' }).count()).toBeGreaterThan(0);
    expect(await page.locator('#connection-log tr.malformed').count()).toBe(1);
  });

  it('threw no error', () => {
    expect(pageErrors(page)).toEqual([]);
  });
});
