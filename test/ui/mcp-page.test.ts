import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVERYTHING_ENTRY } from '../fixtures/mcp/everything.js';
import { handshake, startTestBridge, type TestBridge } from '../support/test-bridge.js';
import { chromiumAvailable, launchChromium, openUi, pageErrors } from './support/chromium.js';

describe.skipIf(!chromiumAvailable('MCP servers page'))('MCP servers page (Chromium, a real bridge and a real MCP server)', () => {
  let bridge: TestBridge;
  let browser: Browser;
  let page: Page;
  let serverId: string;

  beforeAll(async () => {
    bridge = await startTestBridge({ config: { commandPath: 'inherited' } });
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
  });
  afterAll(async () => {
    await browser?.close();
    await bridge?.close();
  });

  it('connects a server after the user allows it on the approvals page, and lists its tools', async () => {
    const card = page.locator(`[data-server-id="${serverId}"]`);
    await card.locator('.state-disconnected').waitFor();
    await card.locator('button[data-action="connect"]').click();

    await page.evaluate(() => (location.hash = 'approvals'));
    const prompt = page.locator('[data-prompt-id]', { hasText: 'everything' });
    await prompt.waitFor();
    expect(await prompt.locator('.cmdline .arg').first().textContent()).toBe(process.execPath);
    await prompt.locator('button[data-action="allow_once"]').click();

    await page.evaluate(() => (location.hash = 'mcp'));
    await page.locator(`[data-server-id="${serverId}"] .state-connected`).waitFor({ timeout: 30_000 });
    await page.locator(`[data-server-id="${serverId}"] .tools li`, { hasText: 'echo' }).waitFor();
  });

  it('disconnects it', async () => {
    await page.locator(`[data-server-id="${serverId}"] button[data-action="disconnect"]`).click();
    await page.locator(`[data-server-id="${serverId}"] .state-disconnected`).waitFor();
  });

  it('threw no error', () => {
    expect(pageErrors(page)).toEqual([]);
  });
});
