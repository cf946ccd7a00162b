/**
 * Regenerates docs/screenshots/*.png: starts a bridge with a temporary home, gives it something to
 * show (a session, a malformed request, an approved run with coloured output, a whitelist rule, a
 * pending prompt, a registered MCP server), and photographs every page in headless Chromium.
 * `npm run screenshots`.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { handshake, startTestBridge } from '../test/support/test-bridge.js';
import { launchChromium, openUi } from '../test/ui/support/chromium.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'docs/screenshots');

const bridge = await startTestBridge({ config: { commandPath: 'inherited' } });
const browser = await launchChromium();
const ui = { 'x-osloop-ui-token': bridge.uiToken, 'content-type': 'application/json' };
try {
  const webApp = await handshake(bridge);
  const call = async (method: string, route: string, body?: unknown, headers: Record<string, string> = webApp.headers) => {
    const response = await fetch(`${bridge.baseUrl}${route}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return (await response.json().catch(() => ({}))) as Record<string, string>;
  };
  const execute = (command: string, args: string[], title: string, reason: string) =>
    call('POST', '/api/v1/system/commands/execute', { command, args, title, reason }, { ...webApp.headers, prefer: 'respond-async' });

  await fetch(`${bridge.baseUrl}/api/v1/api/v1/bridge/info`, { headers: webApp.headers });
  await call('GET', '/api/v1/bridge/info');
  await fetch(`${bridge.baseUrl}/api/v1/bridge/info`, { headers: { origin: bridge.origin } });

  const greeting = "printf '\\033[1;32m✔ build ok\\033[0m in \\033[33m1.2 s\\033[0m\\n\\033[31m1 warning\\033[0m\\n'";
  const approved = await execute('sh', ['-c', greeting], 'Check the build', 'The agent wants to confirm the project builds before editing it.');
  await call('POST', `/api/v1/system/permissions/prompts/${approved.promptId}/resolve`, { decision: 'allow_and_whitelist', ruleArgsPrefix: 1 }, ui);
  await call('GET', `/api/v1/system/commands/runs/${approved.runId}?waitMs=90000`, undefined, ui);
  const pending = await execute('npm', ['install', '--save-dev', 'vitest'], 'Add the test runner', 'Tests are needed to check the refactoring; vitest is missing from package.json.');
  await call('POST', '/api/v1/mcp/servers', {
    name: 'everything',
    transport: { type: 'stdio', command: 'npx', args: ['@modelcontextprotocol/server-everything'], template: { command: 'npx', args: ['@modelcontextprotocol/server-everything'] } },
  });

  await mkdir(outDir, { recursive: true });
  const page = await openUi(browser, bridge.baseUrl, bridge.uiToken);
  const shots: Array<[string, string, string]> = [
    ['status', 'status', '#connection-log table'],
    ['approvals', 'approvals', '[data-prompt-id]'],
    ['rules', 'rules', '#rules tr[data-rule-id]'],
    ['runs', `runs?run=${approved.runId}`, '#run-output span'],
    ['mcp', 'mcp', '#servers article'],
    ['awake', 'awake', '#awake > *'],
    ['inspector', 'inspector', '#actor-tree button[data-kind="commandRun"]'],
    ['settings', 'settings', '#save'],
  ];
  for (const [name, hash, ready] of shots) {
    await page.evaluate((h) => (location.hash = h), hash);
    await page.waitForSelector(ready);
    if (name === 'inspector') {
      await page.click(`#actor-tree button[data-actor-id="${pending.runId}"]`);
      await page.waitForSelector('#statechart[data-kind="commandRun"] svg');
    }
    await page.waitForTimeout(200); // let the last frame paint; only the picture depends on it
    await page.screenshot({ path: path.join(outDir, `${name}.png`), fullPage: true });
    console.log(`docs/screenshots/${name}.png`);
  }
} finally {
  await browser.close();
  await bridge.close();
}
