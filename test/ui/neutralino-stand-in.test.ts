import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from './support/chromium.js';
import { openStandInWindow, type StandInWindow } from './support/neutralino-window.js';

/** The client library's global, as far as these pages use it. */
declare const Neutralino: { os: { setTray(options: unknown): Promise<unknown>; getEnv(key: string): Promise<string> } };

/** A page that loads Neutralino's client library, after the globals script when `twice`. */
const clientPage = (twice: boolean) => `<!doctype html><html><body><p id="out">waiting</p>
${twice ? '<script src="/__neutralino_globals.js"></script>' : ''}
<script src="vendor/neutralino.js"></script>
<script>
  Neutralino.init();
  Neutralino.filesystem.readFile(NL_PATH + '/neutralino.config.json')
    .then((text) => { document.getElementById('out').textContent = 'connected: ' + JSON.parse(text).applicationId; });
</script></body></html>`;

// The stand-in must fail where the real Neutralino failed us, or its passing tests mean nothing.
describe.skipIf(!chromiumAvailable('Neutralino stand-in'))('the Neutralino stand-in behaves as Neutralino 6.9 does', () => {
  let browser: Browser;
  let window: StandInWindow | undefined;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterEach(async () => {
    await window?.close();
    window = undefined;
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** A stand-in window on a page of our own, written into its copy of the app. */
  const openOn = async (html: string) => {
    window = await openStandInWindow({
      browser,
      args: (appRoot) => [`--path=${appRoot}`, '--load-dir-res', '--url=/probe.html'],
      prepare: (appRoot) => writeFile(path.join(appRoot, 'resources', 'probe.html'), html),
    });
    return window;
  };

  it('connects a page that loads the client library once', async () => {
    const { page } = await openOn(clientPage(false));
    await page.locator('#out', { hasText: 'connected: ai.osloop.bridge' }).waitFor();
  });

  it('prepends its globals to any path ending in neutralino.js, the one-time NL_TOKEN among them: a second copy empties it and the page cannot connect', async () => {
    const { page, core } = await openOn(clientPage(true));
    // Neutralino's client replaces the page with this when its socket is refused.
    await page.locator('body', { hasText: 'NE_CL_IVCTOKN' }).waitFor();
    expect(core.globalsServed.filter((token) => token !== '')).toHaveLength(1);
    expect(core.globalsServed.at(-1)).toBe('');
    expect(core.nativeCalls).toEqual([]);
  });

  it('resolves a tray icon against the app root (--path), not against documentRoot', async () => {
    const { page, core, appRoot } = await openOn(clientPage(false));
    await page.locator('#out', { hasText: 'connected' }).waitFor();
    await page.evaluate(() => Neutralino.os.setTray({ icon: '/icons/tray.png', menuItems: [{ text: 'x' }] }));
    expect(core.trays.at(-1)!.iconPath).toBe(path.join(appRoot, 'icons', 'tray.png'));
    expect(core.trayIconExists()).toBe(false);
    await page.evaluate(() => Neutralino.os.setTray({ icon: '/resources/icons/tray.png', menuItems: [{ text: 'x' }] }));
    expect(core.trayIconExists()).toBe(true);
  });

  it('refuses a native method missing from nativeAllowList', async () => {
    const { page, core } = await openOn(clientPage(false));
    await page.locator('#out', { hasText: 'connected' }).waitFor();
    const code = await page.evaluate(() => Neutralino.os.getEnv('HOME').then(() => 'allowed', (e: { code: string }) => e.code));
    expect(code).toBe('NE_RT_NATPRME');
    expect(core.refused).toEqual([{ method: 'os.getEnv', code: 'NE_RT_NATPRME' }]);
  });

  it('refuses notification permission outside a user gesture, and lets the webview decide inside one', async () => {
    const { page, webNotifications } = await openOn('<!doctype html><html><body><button id="ask">ask</button></body></html>');
    expect(await page.evaluate(() => Notification.requestPermission())).toBe('denied');
    expect(await page.evaluate(() => Notification.permission)).toBe('default');
    await page.evaluate(() => document.getElementById('ask')!.addEventListener('click', () => void Notification.requestPermission()));
    await page.click('#ask');
    expect((await webNotifications()).requests).toEqual([
      { inGesture: false, result: 'denied' },
      { inGesture: true, result: 'denied' },
    ]);
    expect(await page.evaluate(() => Notification.permission)).toBe('denied');
  });
});
