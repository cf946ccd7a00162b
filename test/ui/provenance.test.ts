import { describe, expect, it } from 'vitest';
import { chromiumAvailable, pageErrors } from './support/chromium.js';
import { pageAgainstBridge } from './support/web-app.js';

/** What the web app says about who asked: its skill runtime's ids. */
const context = { source: 'skill', skillId: 'code-review', taskId: 'task-42', runId: 'app-run-7' };

describe.skipIf(!chromiumAvailable('provenance on the approvals and history pages'))('provenance: "skill X, task Y" where the user decides and in the audit (Chromium against a real bridge)', () => {
  const suite = pageAgainstBridge('approvals');

  it('the approvals card says which skill and task asked, and the history row of its decision says it too', async () => {
    const { promptId, runId } = await suite.webApp.execute('echo', ['provenance'], { context });
    const card = suite.page.locator(`[data-prompt-id="${promptId}"]`);
    await card.waitFor();
    expect(await card.innerText()).toContain('skill code-review, task task-42');

    // Answered in this window (through its route; the page's buttons have their own tests).
    expect((await suite.webApp.resolve(String(promptId), 'reject')).status).toBe(200);
    await card.waitFor({ state: 'detached' });

    await suite.page.evaluate(() => (location.hash = 'history'));
    const row = suite.page.locator('#decisions tr[data-decision-id]').first();
    await row.waitFor();
    expect(await row.locator('.provenance').innerText()).toBe('for skill code-review, task task-42');
    // The same row is about this run: the audit keeps what was asked and by which skill.
    const { decisions } = (await (await fetch(`${suite.bridge.baseUrl}/api/v1/ui/decisions`, { headers: suite.webApp.ui })).json()) as { decisions: Array<{ subject: { id: string }; context: unknown }> };
    expect(decisions).toEqual([expect.objectContaining({ subject: expect.objectContaining({ id: runId }), context })]);
    expect(pageErrors(suite.page)).toEqual([]);
  });

  it('a decision without provenance shows none', async () => {
    const { promptId } = await suite.webApp.execute('echo', ['no provenance']);
    expect((await suite.webApp.resolve(String(promptId), 'reject')).status).toBe(200);
    await suite.page.evaluate(() => (location.hash = 'approvals'));
    await suite.page.evaluate(() => (location.hash = 'history'));
    await suite.page.locator('#decisions tr[data-decision-id]').nth(1).waitFor();
    const rows = suite.page.locator('#decisions tr[data-decision-id]');
    expect(await rows.first().locator('.provenance').count()).toBe(0);
    expect(await rows.nth(1).locator('.provenance').count()).toBe(1);
  });
});
