import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVERYTHING_ENTRY } from '../fixtures/mcp/everything.js';
import { handshake, startTestBridge, type TestBridge } from '../support/test-bridge.js';
import { chromiumAvailable, launchChromium, openUi } from './support/chromium.js';

describe.skipIf(!chromiumAvailable('MCP page log messages'))('MCP page: a server\'s log messages (Chromium, a real bridge and server-everything)', () => {
  let bridge: TestBridge;
  let browser: Browser;
  let page: Page;
  let serverId: string;
  let headers: Record<string, string>;
  const web = (method: string, route: string, body?: unknown) =>
    fetch(`${bridge.baseUrl}${route}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }).then((r) => r.json() as Promise<Record<string, unknown>>);

  beforeAll(async () => {
    bridge = await startTestBridge({ config: { commandPath: 'inherited', mcp: { pingIntervalMs: 0 } } });
    ({ headers } = await handshake(bridge));
    const stdio = { command: process.execPath, args: [EVERYTHING_ENTRY] };
    ({ serverId } = (await web('POST', '/api/v1/mcp/servers', { name: 'everything', transport: { type: 'stdio', ...stdio, template: stdio } })) as { serverId: string });
    const { promptId } = (await web('POST', `/api/v1/mcp/servers/${serverId}/connect`, {})) as { promptId: string };
    // The user allows it in the bridge's window.
    await fetch(`${bridge.baseUrl}/api/v1/system/permissions/prompts/${promptId}/resolve`, {
      method: 'POST',
      headers: { origin: bridge.origin, 'content-type': 'application/json', 'x-osloop-ui-token': bridge.uiToken },
      body: JSON.stringify({ decision: 'allow_once' }),
    });
    browser = await launchChromium();
    page = await openUi(browser, bridge.baseUrl, bridge.uiToken, 'mcp');
    await page.locator(`[data-server-id="${serverId}"] .state-connected`).waitFor({ timeout: 30_000 });
  });
  afterAll(async () => {
    await browser?.close();
    await bridge?.close();
  });

  it('shows the messages the server logs as they arrive, the same the logs route keeps', async () => {
    await web('POST', `/api/v1/mcp/servers/${serverId}/logging-level`, { level: 'debug' });
    await web('POST', '/api/v1/mcp/call', { serverId, tool: 'toggle-simulated-logging', arguments: {} });
    const log = page.locator(`pre[data-log="${serverId}"]`);
    await log.filter({ hasText: /(debug|info|notice|warning|error|critical|alert|emergency): / }).waitFor({ timeout: 20_000 });
    const { messages } = (await web('GET', `/api/v1/mcp/servers/${serverId}/logs`)) as { messages: Array<{ level: string }> };
    expect(messages.length).toBeGreaterThan(0);
    expect(await log.textContent()).toContain(`${messages[0]!.level}: `);
    await web('POST', '/api/v1/mcp/call', { serverId, tool: 'toggle-simulated-logging', arguments: {} });
  });
});
