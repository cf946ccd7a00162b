import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { NeutralinoCore } from './neutralino-core.js';

const UI_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../ui');

/** What the webview decides when a page asks for notifications inside a user gesture. */
export type NotificationDecision = 'granted' | 'denied';

export interface WebNotificationLog {
  /** Every `Notification.requestPermission()` call, and whether it came in a user gesture. */
  requests: Array<{ inGesture: boolean; result: string }>;
  shown: Array<{ title: string; body: string; tag: string }>;
}

/**
 * WebKit's `Notification`, as the Neutralino window has it: `requestPermission()` outside a user
 * gesture resolves "denied" and leaves the permission "default"; inside one the webview decides.
 * Neutralino 6.9 on Linux has no handler for WebKitGTK's permission-request signal, whose default
 * denies: seen in the real window, so "denied" is the default decision here.
 */
function webKitNotification(decision: NotificationDecision): void {
  const log: WebNotificationLog = { requests: [], shown: [] };
  // WebKit's UserGestureIndicator: set while a trusted click or key event is being dispatched.
  // (Chromium's navigator.userActivation would also count Playwright's evaluate() as a gesture.)
  let inGesture = false;
  for (const type of ['click', 'mousedown', 'mouseup', 'keydown', 'keyup']) {
    window.addEventListener(type, (event) => {
      if (!event.isTrusted) return;
      inGesture = true;
      setTimeout(() => (inGesture = false), 0);
    }, true);
  }
  const instances: Array<{ onclick: ((event: unknown) => void) | null }> = [];
  class WebKitNotification {
    static permission: string = 'default';
    onclick: ((event: unknown) => void) | null = null;
    constructor(title: string, options: { body?: string; tag?: string } = {}) {
      // WebKit fires `error` on a notification it may not show; nothing reaches the desktop.
      if (WebKitNotification.permission !== 'granted') return;
      log.shown.push({ title, body: options.body ?? '', tag: options.tag ?? '' });
      instances.push(this);
    }
    static requestPermission(): Promise<string> {
      if (inGesture) WebKitNotification.permission = decision;
      const result = inGesture ? decision : 'denied';
      log.requests.push({ inGesture, result });
      return Promise.resolve(result);
    }
  }
  Object.defineProperty(window, 'Notification', { value: WebKitNotification, configurable: true, writable: true });
  Object.assign(window, { __webNotifications: log, __clickWebNotification: (i: number) => instances[i]?.onclick?.({}) });
}

export interface StandInWindow {
  core: NeutralinoCore;
  page: Page;
  /** The app root the core serves: a copy of `ui/`, as an installed package would have it. */
  appRoot: string;
  dataHome: string;
  webNotifications(): Promise<WebNotificationLog>;
  clickWebNotification(index: number): Promise<void>;
  close(): Promise<void>;
}

export interface StandInWindowOptions {
  browser: Browser;
  /** The launcher's arguments for the window, built with `windowArgs` (src/cli/ui.ts). */
  args: (appRoot: string) => string[];
  env?: NodeJS.ProcessEnv;
  notificationDecision?: NotificationDecision;
  /** Runs on the app copy before the window opens (tests add pages of their own). */
  prepare?: (appRoot: string) => Promise<void>;
  /** Runs on the page before it loads the window (tests route its requests). */
  beforeLoad?: (page: Page) => Promise<void>;
}

/**
 * The desktop window with a stand-in Neutralino: the core above serves a copy of `ui/`, and a
 * Chromium page plays the webview (what the pages see of WebKit, notifications, is modelled).
 */
export async function openStandInWindow({ browser, args, env = process.env, notificationDecision = 'denied', prepare, beforeLoad }: StandInWindowOptions): Promise<StandInWindow> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'osloop-neutralino-'));
  const appRoot = path.join(scratch, 'ui');
  const dataHome = path.join(scratch, 'data-home');
  await cp(UI_DIR, appRoot, { recursive: true, filter: (source) => !source.includes(`${path.sep}.tmp`) && !source.endsWith(`${path.sep}bin`) });
  await prepare?.(appRoot);
  const core = new NeutralinoCore({ args: args(appRoot), env, dataHome });
  const url = await core.start();
  const context = await browser.newContext({ viewport: { width: 1120, height: 780 } });
  await context.addInitScript(webKitNotification, notificationDecision);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  Object.assign(page, { errors });
  await beforeLoad?.(page);
  await page.goto(url);
  return {
    core,
    page,
    appRoot,
    dataHome,
    webNotifications: () => page.evaluate(() => (window as unknown as { __webNotifications: WebNotificationLog }).__webNotifications),
    clickWebNotification: (index) => page.evaluate((i) => (window as unknown as { __clickWebNotification: (i: number) => void }).__clickWebNotification(i), index),
    async close() {
      await context.close();
      await core.stop();
      await rm(scratch, { recursive: true, force: true });
    },
  };
}
