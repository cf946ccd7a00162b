import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { visibleText } from '../../src/contract/visible-text.js';
import { chromiumAvailable } from './support/chromium.js';
import { pageAgainstBridge } from './support/web-app.js';

/**
 * Issue 17, case 7: a shell line whose bidi controls made the Approvals page draw the `touch`
 * as if commented out. The page must draw what runs, character for character: every hidden
 * character escaped, flagged, and the line's commands listed. "Allow once" then runs exactly it.
 */
const out = path.join(os.tmpdir(), `osloop-spoof-${process.pid}.txt`);
const SPOOFED = `echo Checking disk usage \u202e\u2066# read-only: nothing is changed\u2069; echo ran > ${out}`;

describe.skipIf(!chromiumAvailable('approvals spoofing'))('a spoofed prompt in the Approvals page (Chromium against a real bridge)', () => {
  const suite = pageAgainstBridge('approvals');

  it('shows the line with its bidi controls escaped and flagged, and what is shown is what runs', async () => {
    const { promptId, runId } = await suite.webApp.execute(SPOOFED, [], { shell: true });
    const card = suite.page.locator(`[data-prompt-id="${promptId}"]`);
    await card.waitFor();

    const drawn = (await card.locator('.cmdline .arg.exe').textContent()) ?? '';
    // What the page draws is the line as run, with each hidden character replaced by its escape.
    expect(drawn).toBe(visibleText(SPOOFED).text);
    expect(drawn).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
    expect(drawn).toContain('⟪U+202E⟫⟪U+2066⟫# read-only: nothing is changed⟪U+2069⟫; echo ran >');
    // Undoing the escapes gives back exactly the command that will run.
    expect(drawn.replace(/⟪U\+([0-9A-F]{4,6})⟫/g, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16)))).toBe(SPOOFED);
    // Nothing is hidden by layout: the whole line is rendered, not cut.
    const box = await card.locator('.cmdline .arg.exe').evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth, overflow: getComputedStyle(el).textOverflow }));
    expect(box.overflow).not.toBe('ellipsis');
    expect(box.scroll).toBeLessThanOrEqual(box.client + 1);

    expect(await card.locator('li.flag[data-flag="hidden_characters"]').count()).toBeGreaterThan(0);
    expect(await card.locator('li.flag[data-flag="several_commands"]').innerText()).toContain('echo, echo');
    expect(await card.locator('dd[data-field="Commands it runs"]').innerText()).toBe('echo, echo');

    await card.locator('button[data-action="allow_once"]').click();
    await card.waitFor({ state: 'detached' });
    const run = await fetch(`${suite.bridge.baseUrl}/api/v1/system/commands/runs/${runId}?waitMs=20000`, { headers: { 'x-osloop-ui-token': suite.bridge.uiToken } }).then((r) => r.json() as Promise<{ state: string }>);
    expect(run.state).toBe('completed');
    expect(readFileSync(out, 'utf8')).toBe('ran\n');
  });
});
