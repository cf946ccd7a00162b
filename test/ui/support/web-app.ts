import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { handshake, startTestBridge, type TestBridge } from '../../support/test-bridge.js';
import { launchChromium, openUi } from './chromium.js';

/** What the pages' tests need from an accepted execute. */
export interface Accepted {
  runId: string;
  state: string;
  promptId?: string;
}

/**
 * Acts as the web app: hand-shakes, then sends execute requests in its flat shape, asking for an
 * immediate reply (`Prefer: respond-async`) so that a test can answer the prompt itself.
 */
export async function webAppFor(bridge: TestBridge) {
  const session = await handshake(bridge);
  const ui = { 'x-osloop-ui-token': bridge.uiToken, 'content-type': 'application/json' };
  const call = async (method: string, route: string, body?: unknown, headers: Record<string, string> = session.headers) => {
    const response = await fetch(`${bridge.baseUrl}${route}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: response.status, body: (await response.json().catch(() => ({}))) as Record<string, unknown> };
  };
  return {
    session,
    ui,
    call,
    /** Asks to run `command args`; `extra` adds fields such as `title`, `shell`, `keepAwake`. */
    async execute(command: string, args: string[], extra: Record<string, unknown> = {}): Promise<Accepted> {
      const response = await fetch(`${bridge.baseUrl}/api/v1/system/commands/execute`, {
        method: 'POST',
        headers: { ...session.headers, prefer: 'respond-async' },
        body: JSON.stringify({ command, args, reason: 'the UI test asked', ...extra }),
      });
      const body = (await response.json()) as Accepted & { accepted?: boolean };
      expect(response.status, JSON.stringify(body)).toBe(202);
      return body;
    },
    /** Answers a prompt as the person in the bridge UI would. */
    resolve: (promptId: string, decision: 'allow_once' | 'reject' | 'allow_and_whitelist') =>
      call('POST', `/api/v1/system/permissions/prompts/${promptId}/resolve`, { decision }, ui),
    /** Answers a prompt as the web app relaying a decision (not the person in this window). */
    resolveAsWebApp: (promptId: string, decision: 'allow_once' | 'reject') =>
      call('POST', `/api/v1/system/permissions/prompts/${promptId}/resolve`, { decision }),
    /** Waits until the run is final and returns it. */
    settled: async (runId: string) => (await call('GET', `/api/v1/system/commands/runs/${runId}?waitMs=60000`, undefined, ui)).body,
  };
}
export type WebApp = Awaited<ReturnType<typeof webAppFor>>;

/**
 * The set-up most page tests share: a real bridge, the web app acting on it, and Chromium on one
 * of the window's pages, started before the suite and closed after it. Call it inside `describe`.
 */
export function pageAgainstBridge(pageName: string, options: Parameters<typeof startTestBridge>[0] = {}) {
  const suite = {} as { bridge: TestBridge; webApp: WebApp; browser: Browser; page: Page };
  beforeAll(async () => {
    suite.bridge = await startTestBridge({ ...options, config: { commandPath: 'inherited', ...options.config } });
    suite.webApp = await webAppFor(suite.bridge);
    suite.browser = await launchChromium();
    suite.page = await openUi(suite.browser, suite.bridge.baseUrl, suite.bridge.uiToken, pageName);
  });
  afterAll(async () => {
    await suite.browser?.close();
    await suite.bridge?.close();
  });
  return suite;
}
