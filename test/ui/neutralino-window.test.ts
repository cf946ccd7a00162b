import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runtimeView } from '../../machines/bridge.machine.js';
import { windowArgs } from '../../src/cli/ui.js';
import { TRAY } from '../../ui/resources/js/neutralino-adapter.js';
import { freePort } from '../support/free-port.js';
import { startTestBridge, type TestBridge } from '../support/test-bridge.js';
import { chromiumAvailable, launchChromium, pageErrors } from './support/chromium.js';
import { openStandInWindow, type NotificationDecision, type StandInWindow } from './support/neutralino-window.js';
import { raisePrintfPrompt, runState } from './support/raise-prompt.js';

/** A bridge with the window's origin allowed, and the window opened as `start --ui` opens it. */
async function desktop(browser: Browser, options: { notificationDecision?: NotificationDecision; trayMode?: boolean; beforeLoad?: (page: Page) => Promise<void> } = {}) {
  const windowPort = await freePort();
  const bridge = await startTestBridge({
    allowOrigins: [`http://127.0.0.1:${windowPort}`],
    config: { commandPath: 'inherited', trayMode: options.trayMode ?? false },
  });
  const snapshot = bridge.runtime.root.getSnapshot();
  const window = await openStandInWindow({
    browser,
    notificationDecision: options.notificationDecision,
    beforeLoad: options.beforeLoad,
    args: (appRoot) => windowArgs({ windowPort, bridge, runtime: runtimeView(snapshot.context, snapshot.value), uiDir: appRoot }),
    env: { ...process.env, OSLOOP_BRIDGE_HOME: bridge.home },
  });
  await window.page.waitForSelector('#conn.ok');
  // The feed can be live before the shell has read the bridge's state and set the tray (a busy
  // machine answers the runtime fetch late): the shell marks the window once its tray is set.
  await window.page.waitForSelector('html[data-desktop="ready"]', { state: 'attached' });
  return { bridge, window };
}

describe.skipIf(!chromiumAvailable('desktop window (stand-in Neutralino)'))('the desktop window in a stand-in Neutralino', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  describe('with the bridge listening (webview refusing notifications, as WebKitGTK in Neutralino 6.9)', () => {
    let bridge: TestBridge;
    let window: StandInWindow;
    beforeAll(async () => {
      ({ bridge, window } = await desktop(browser));
    });
    afterAll(async () => {
      await window?.close();
      await bridge?.close();
    });

    it('reaches the framework with the one-time token, which it spends once', () => {
      expect(window.core.globalsServed.filter((token) => token !== '')).toHaveLength(1);
      expect(window.core.refused).toEqual([]);
      expect(window.core.nativeCalls.map((c) => c.method)).toEqual(expect.arrayContaining(['filesystem.readFile', 'os.setTray']));
    });

    it('sets the tray with an icon file that exists and the bridge state', () => {
      const tray = window.core.trays.at(-1)!;
      expect(tray.iconPath).toBe(path.join(window.appRoot, 'resources', 'icons', 'tray.png'));
      expect(window.core.trayIconExists()).toBe(true);
      expect(tray.menuItems[0]).toEqual({ id: TRAY.STATE, text: `Bridge: listening on 127.0.0.1:${bridge.port()}`, isDisabled: true });
    });

    it('renders the Status page with live data from the bridge', async () => {
      await window.page.locator('[data-fact="bind-state"] dd', { hasText: 'listening' }).waitFor();
      expect(await window.page.locator('[data-fact="active-port"] dd').innerText()).toBe(`127.0.0.1:${bridge.port()}`);
    });

    it('asks for notification permission on the first click in the window, never at start-up', async () => {
      expect((await window.webNotifications()).requests).toEqual([]);
      await window.page.locator('h1').click();
      expect((await window.webNotifications()).requests).toEqual([{ inGesture: true, result: 'denied' }]);
    });

    it('notifies through Neutralino when the webview refuses, and Approvals from the tray leads to Allow once, which completes the run', async () => {
      const { runId, promptId, headers } = await raisePrintfPrompt(bridge.baseUrl, 'from the window', 'Print from the window');
      await expect.poll(() => window.core.notifications).toContainEqual({ title: 'Permission requested', content: expect.stringContaining('Open Approvals from the tray icon.') });
      await expect.poll(() => window.core.trays.at(-1)!.menuItems.find((i) => i.id === TRAY.APPROVALS)?.text).toBe('Approvals (1 pending)');
      window.core.clickTrayItem(TRAY.APPROVALS);
      const card = window.page.locator(`[data-prompt-id="${promptId}"]`);
      await card.locator('button[data-action="allow_once"]').click();
      await card.waitFor({ state: 'detached' });
      expect(await runState(bridge.baseUrl, headers, runId, 20_000)).toBe('completed');
    });

    it('threw no error', () => {
      expect(pageErrors(window.page)).toEqual([]);
    });

    it('quits on close while tray mode is off, keeping its window state in the user data directory, not in the app', async () => {
      window.core.closeWindow();
      await expect.poll(() => window.core.exitCode).toBe(0);
      expect(existsSync(path.join(window.dataHome, 'ai.osloop.bridge', '.tmp', 'window_state.config.json'))).toBe(true);
      expect(existsSync(path.join(window.appRoot, '.tmp'))).toBe(false);
    });
  });

  describe('with the bridge answering its state only after the event feed is live', () => {
    let bridge: TestBridge;
    let window: StandInWindow;
    /** Whether the window said it was ready while its state was held; null until the hold happened. */
    let readyWhileHeld: boolean | null = null;
    beforeAll(async () => {
      // As on a busy machine: the feed's socket opens before the runtime fetch is answered.
      const holdRuntime = async (page: Page) => {
        await page.route('**/api/v1/bridge/runtime', async (route) => {
          await page.waitForSelector('#conn.ok');
          readyWhileHeld = (await page.$('html[data-desktop="ready"]')) !== null;
          await route.continue();
        }, { times: 1 });
      };
      ({ bridge, window } = await desktop(browser, { beforeLoad: holdRuntime }));
    });
    afterAll(async () => {
      await window?.close();
      await bridge?.close();
    });

    it('says the window is ready only once its tray is set with the bridge state', () => {
      expect(readyWhileHeld).toBe(false);
      expect(window.core.trays.at(-1)?.menuItems[0]).toEqual({ id: TRAY.STATE, text: `Bridge: listening on 127.0.0.1:${bridge.port()}`, isDisabled: true });
    });
  });

  describe('with a webview that grants notifications on a gesture', () => {
    let bridge: TestBridge;
    let window: StandInWindow;
    beforeAll(async () => {
      ({ bridge, window } = await desktop(browser, { notificationDecision: 'granted', trayMode: true }));
    });
    afterAll(async () => {
      await window?.close();
      await bridge?.close();
    });

    it('shows a clickable notification after the first click; clicking it opens Approvals', async () => {
      await window.page.locator('h1').click();
      const { promptId } = await raisePrintfPrompt(bridge.baseUrl, 'clickable', 'Print clickably');
      await expect.poll(async () => (await window.webNotifications()).shown).toEqual([{ title: 'Permission requested', body: expect.stringContaining('Print clickably'), tag: promptId }]);
      expect(window.core.notifications).toEqual([]);
      await window.clickWebNotification(0);
      await window.page.locator(`[data-prompt-id="${promptId}"]`).waitFor();
      expect(new URL(window.page.url()).hash).toBe('#approvals');
    });

    it('hides to the tray on close when tray mode is on', async () => {
      window.core.closeWindow();
      await expect.poll(() => window.core.visible).toBe(false);
      expect(window.core.exitCode).toBeNull();
      window.core.clickTrayItem(TRAY.SHOW);
      await expect.poll(() => window.core.visible).toBe(true);
    });
  });
});
