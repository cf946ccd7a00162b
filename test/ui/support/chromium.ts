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

/** Opens the local UI the way `osloop-bridge open` does: the token travels in the fragment. */
export async function openUi(browser: Browser, baseUrl: string, uiToken: string, page = 'status'): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const tab = await context.newPage();
  const errors: string[] = [];
  tab.on('pageerror', (error) => errors.push(error.message));
  (tab as Page & { errors: string[] }).errors = errors;
  await tab.goto(`${baseUrl}/ui/#token=${uiToken}`);
  await tab.waitForSelector('#conn.ok');
  if (page !== 'status') await tab.evaluate((p) => (location.hash = p), page);
  return tab;
}

/** Uncaught errors the page threw since it opened. */
export const pageErrors = (page: Page): string[] => (page as Page & { errors?: string[] }).errors ?? [];
