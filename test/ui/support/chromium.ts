import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium; `CHROMIUM_PATH` points elsewhere. Playwright never downloads a browser here. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/**
 * Whether browser tests can run. Without Chromium they fail in CI (a missing install step must
 * not pass unnoticed) and are skipped elsewhere, with a notice.
 */
export function chromiumAvailable(suite: string): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  if (process.env.CI) throw new Error(`${suite}: Chromium is required in CI but ${CHROMIUM_PATH} does not exist (apt-get install chromium).`);
  console.warn(`[skipped] ${suite}: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH).`);
  return false;
}

/** A headless Chromium with a fresh profile. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: FLAGS });
}

export interface UiOptions {
  width?: number;
  height?: number;
  colorScheme?: 'light' | 'dark';
  /** Installs Playwright's controllable clock before the page loads (timers then obey `page.clock`). */
  clock?: boolean;
  /** Called with the new tab before it loads, to watch what it does from its first request. */
  beforeLoad?: (tab: Page) => void;
}

/**
 * Opens the local UI the way `osloop-bridge open` does: the token travels in the fragment.
 * Uncaught errors and console errors (a CSP refusal is one) are collected for `pageErrors`.
 */
export async function openUi(browser: Browser, baseUrl: string, uiToken: string, page = 'status', options: UiOptions = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: options.height ?? 860 }, colorScheme: options.colorScheme ?? 'light' });
  if (options.clock) await context.clock.install();
  const tab = await context.newPage();
  const errors: string[] = [];
  tab.on('pageerror', (error) => errors.push(error.message));
  tab.on('console', (message) => {
    // The browser logs every non-2xx fetch; the page handles those answers itself (a 501 page says
    // "not available"). Everything else logged as an error, a CSP refusal first of all, counts.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) errors.push(`console: ${message.text()}`);
  });
  (tab as Page & { errors: string[] }).errors = errors;
  options.beforeLoad?.(tab);
  await tab.goto(`${baseUrl}/ui/#token=${uiToken}`);
  await tab.waitForSelector('#conn.ok');
  if (page !== 'status') await tab.evaluate((p) => (location.hash = p), page);
  return tab;
}

/** Uncaught errors and console errors of the page since it opened. */
export const pageErrors = (page: Page): string[] => (page as Page & { errors?: string[] }).errors ?? [];
