import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runtimeView } from '../../machines/bridge.machine.js';
import { windowArgs } from '../../src/cli/ui.js';
import { TRAY } from '../../ui/resources/js/neutralino-adapter.js';
import { freePort } from '../support/free-port.js';
import { startTestBridge, type TestBridge } from '../support/test-bridge.js';
import { chromiumAvailable, launchChromium } from './support/chromium.js';
import { openStandInWindow, type StandInWindow } from './support/neutralino-window.js';

/** Resolves at the next failed poll of the status route: the page has redrawn what it shows by then. */
const nextFailedPoll = (page: Page) => page.waitForEvent('requestfailed', { predicate: (r) => r.url().endsWith('/api/v1/ui/status'), timeout: 30_000 });

// The retry runs the real CLI (`open-url osloop://ensure-server`) through the window's execCommand.
describe.skipIf(!chromiumAvailable('desktop window in bind_failed'))('the desktop window while the bridge cannot bind its port', { timeout: 180_000 }, () => {
  let browser: Browser;
  let bridge: TestBridge;
  let window: StandInWindow;
  let blocker: net.Server | undefined;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    // Another program holds the port: it accepts and hangs up, so the page's requests fail.
    blocker = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => blocker!.listen({ host: '127.0.0.1', port }, resolve));
    const windowPort = await freePort();
    bridge = await startTestBridge({ port, allowOrigins: [`http://127.0.0.1:${windowPort}`] });
    await writeFile(path.join(bridge.home, 'config.json'), JSON.stringify({ port }));
    const snapshot = bridge.runtime.root.getSnapshot();
    browser = await launchChromium();
    window = await openStandInWindow({
      browser,
      args: (appRoot) => windowArgs({ windowPort, bridge, runtime: runtimeView(snapshot.context, snapshot.value), uiDir: appRoot }),
      env: { ...process.env, OSLOOP_BRIDGE_HOME: bridge.home },
    });
  });
  afterAll(async () => {
    await window?.close();
    await browser?.close();
    await bridge?.close();
    await new Promise((resolve) => (blocker ? blocker.close(resolve) : resolve(undefined)));
  });

  it('starts in bind_failed', () => {
    expect(bridge.bindState()).toBe('bind_failed');
  });

  it('says in the tray that the port could not be bound, learned from the process that started the window', async () => {
    await expect.poll(() => window.core.trays.at(-1)?.menuItems[0]?.text).toBe(`Bridge: port ${port} could not be bound`);
  });

  it('keeps the retry\'s outcome on screen across the page\'s redraws', async () => {
    const retry = window.page.locator('#retry-bind');
    await retry.click();
    const outcome = window.page.locator('#bind-error [role="status"]', { hasText: `Port ${port} is held by another program` });
    await outcome.waitFor({ timeout: 90_000 });
    await nextFailedPoll(window.page);
    await nextFailedPoll(window.page);
    expect(await outcome.count()).toBe(1);
    expect(window.core.trays.at(-1)!.menuItems[0]!.text).toBe(`Bridge: port ${port} could not be bound`);
  });

  it('retries the same port once it is free, and the tray follows', async () => {
    await new Promise((resolve) => blocker!.close(resolve));
    blocker = undefined;
    await window.page.locator('#retry-bind').click();
    await window.page.locator('#conn.ok').waitFor({ timeout: 90_000 });
    expect(bridge.bindState()).toBe('listening');
    await expect.poll(() => window.core.trays.at(-1)!.menuItems.find((i) => i.id === TRAY.STATE)?.text).toBe(`Bridge: listening on 127.0.0.1:${port}`);
  });
});
