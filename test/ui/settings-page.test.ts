import { readFile } from 'node:fs/promises';
import { createUser } from '@nats-io/nkeys';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handshake, startTestBridge, type TestBridge } from '../support/test-bridge.js';
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
    page.on('dialog', (dialog) => {
      // Revoking asks for confirmation; tests that expect other dialogs handle them with once().
      if (dialog.message().startsWith('Revoke')) void dialog.accept();
    });
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

  it('saves a new port and says what the command line\'s --port does with it, without moving the running bridge', async () => {
    await page.fill('#port', '47999');
    await page.click('#save');
    // The test bridge is started with a port of its own, as `start --port N` would be.
    await page.locator('#restart-note', { hasText: `started with --port ${bridge.port()}, which overrides the saved port 47999 for this run only` }).waitFor();
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

  it('lists every origin the running bridge lets in, with what allowed it', async () => {
    await page.fill('#allowedOrigins', 'https://app.example.com'); // undo the refused edit above
    const rows = await page.$$eval('#effective-origins tbody tr', (trs) => trs.map((tr) => [tr.getAttribute('data-source'), tr.querySelector('td')?.textContent]));
    expect(rows).toContainEqual(['settings', 'https://app.example.com']);
    expect(rows).toContainEqual(['bridge_ui', `http://127.0.0.1:${bridge.port()}`]);
    expect(rows.some(([source]) => source === 'dev_mode')).toBe(false);
    expect(await page.locator('#dev-mode').count()).toBe(0);
  });

  it('lists connected web apps and revokes one: its token stops working', async () => {
    const webApp = await handshake(bridge, 'https://app.example.com');
    await page.reload();
    const row = page.locator(`#sessions tr[data-session-id="${webApp.sessionId}"]`);
    await row.waitFor();
    expect(await row.innerText()).toContain('https://app.example.com');
    const info = () => fetch(`${bridge.baseUrl}/api/v1/bridge/runtime`, { headers: webApp.headers });
    expect((await info()).status).toBe(200);
    await row.locator('button', { hasText: 'Revoke' }).click();
    await row.waitFor({ state: 'detached' });
    expect((await info()).status).toBe(401);
  });

  it('pairs a fleet orchestrator under a name, renames it and unpairs it, each at once', async () => {
    const key = createUser().getPublicKey();
    const paired = () => bridge.config.current.nats.orchestrators;
    await page.locator('#fleet-none').waitFor();
    await page.fill('#fleet-pair-key', 'not-a-key');
    await page.click('#fleet-pair-submit');
    await page.locator('#fleet-pair-error', { hasText: 'Not paired' }).waitFor();
    expect(paired()).toEqual([]);

    await page.fill('#fleet-pair-key', key);
    await page.fill('#fleet-pair-label', 'build farm');
    await page.click('#fleet-pair-submit');
    const row = page.locator(`#fleet-orchestrators tr[data-orchestrator="${key}"]`);
    await row.waitFor();
    expect(await row.locator('input.fleet-label').inputValue()).toBe('build farm');
    expect(paired()).toEqual([{ key, label: 'build farm', pairedAt: expect.any(String) }]);
    // Pairing is not part of the settings form: nothing is left unsaved by it.
    expect(await page.locator('#settings-status').innerText()).not.toContain('Unsaved');

    await row.locator('input.fleet-label').fill('laptop fleet');
    await row.locator('button.fleet-rename').click();
    await page.waitForFunction((k) => (document.querySelector(`tr[data-orchestrator="${k}"] button.fleet-unpair`)?.getAttribute('aria-label') ?? '').includes('laptop fleet'), key);
    expect(paired()[0]?.label).toBe('laptop fleet');

    const asked: string[] = [];
    page.once('dialog', (dialog) => {
      asked.push(dialog.message());
      void dialog.accept();
    });
    await row.locator('button.fleet-unpair').click();
    await page.locator('#fleet-none').waitFor();
    expect(asked[0]).toContain('Unpair orchestrator laptop fleet');
    expect(paired()).toEqual([]);
  });

  it('asks before unsaved edits are lost by leaving the page, and stays when told to', async () => {
    await page.fill('#promptTimeoutMs', '99');
    await page.locator('#settings-status', { hasText: 'Unsaved changes' }).waitFor();
    const asked: string[] = [];
    page.once('dialog', (dialog) => {
      asked.push(dialog.message());
      void dialog.dismiss();
    });
    await page.click('#nav a[data-page="status"]');
    await page.waitForFunction(() => location.hash === '#settings');
    expect(asked[0]).toContain('not saved');
    expect(await page.inputValue('#promptTimeoutMs')).toBe('99');
    page.once('dialog', (dialog) => void dialog.accept());
    await page.click('#nav a[data-page="status"]');
    await page.locator('h1', { hasText: 'Status' }).waitFor();
  });

  it('threw no error', () => {
    expect(pageErrors(page)).toEqual([]);
  });
});

describe.skipIf(!chromiumAvailable('settings page in dev mode'))('settings page of a bridge started with --dev (Chromium)', () => {
  let bridge: TestBridge;
  let browser: Browser;
  beforeAll(async () => {
    bridge = await startTestBridge({ dev: true, allowOrigins: ['https://cli.example.com'] });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await bridge?.close();
  });

  it('says dev mode is on and lists the origins it and --allow-origin let in', async () => {
    const page = await openUi(browser, bridge.baseUrl, bridge.uiToken, 'settings');
    await page.locator('#dev-mode').waitFor();
    expect(await page.locator('#dev-mode').innerText()).toContain('any port');
    const origins = await page.$$eval('#effective-origins tbody tr', (trs) => trs.map((tr) => `${tr.getAttribute('data-source')} ${tr.querySelector('td')?.textContent}`));
    expect(origins).toEqual(expect.arrayContaining(['dev_mode http://localhost:*', 'dev_mode http://127.0.0.1:*', 'command_line https://cli.example.com']));
    expect(pageErrors(page)).toEqual([]);
  });
});
