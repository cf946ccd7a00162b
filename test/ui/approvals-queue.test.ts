import { describe, expect, it } from 'vitest';
import { chromiumAvailable, openUi, pageErrors } from './support/chromium.js';
import { pageAgainstBridge } from './support/web-app.js';

describe.skipIf(!chromiumAvailable('approvals queue'))('approvals queue (Chromium against a real bridge)', () => {
  const suite = pageAgainstBridge('approvals', { config: { promptTimeoutMs: 30 * 60_000 } });
  const pending = async () => ((await suite.webApp.call('GET', '/api/v1/ui/prompts', undefined, suite.webApp.ui)).body as { prompts: Array<{ promptId: string }> }).prompts;
  const focused = () => suite.page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    return { action: el?.dataset.action ?? null, prompt: el?.dataset.promptId ?? el?.closest<HTMLElement>('[data-prompt-id]')?.dataset.promptId ?? null, isCard: el?.matches('[data-prompt-id]') ?? false };
  });


  it('shows five prompts as a queue: one expanded, "1 of 5", the count in the tab title, a big countdown', async () => {
    const asked = [];
    for (const word of ['one', 'two', 'three', 'four', 'five']) asked.push(await suite.webApp.execute('echo', [word], { title: `Say ${word}` }));
    await suite.page.locator('#queue-position', { hasText: 'Prompt 1 of 5' }).waitFor();
    expect(await suite.page.locator('[data-prompt-id]').count()).toBe(1);
    expect(await suite.page.locator('#queue button[data-queue-id]').count()).toBe(5);
    expect(await suite.page.locator('[data-prompt-id]').getAttribute('data-prompt-id')).toBe(asked[0]!.promptId);
    expect(await suite.page.locator('[data-prompt-id] h2').innerText()).toBe('echo one');
    expect(await suite.page.locator('[data-prompt-id] .claim').innerText()).toBe('The agent calls it "Say one".');
    await suite.page.waitForFunction(() => document.title.startsWith('(5 waiting) '));
    const size = await suite.page.locator('[data-prompt-id] .countdown').evaluate((el: Element) => parseFloat(getComputedStyle(el).fontSize));
    expect(size).toBeGreaterThanOrEqual(24);
    // The whole queue stays far shorter than five full cards (2,555 px before).
    expect(await suite.page.evaluate(() => document.documentElement.scrollHeight)).toBeLessThan(1600);
  });

  it('approves all five with the keyboard alone, focus moving to each next prompt', async () => {
    const order = (await pending()).map((p) => p.promptId);
    for (const [i, promptId] of order.entries()) {
      await suite.page.keyboard.press('Tab');
      expect(await focused()).toMatchObject({ action: 'allow_once', prompt: promptId });
      await suite.page.waitForSelector(`[data-prompt-id="${promptId}"] button[data-action="allow_once"]:not([aria-disabled])`);
      await suite.page.keyboard.press('Enter');
      await suite.page.locator(`[data-prompt-id="${promptId}"]`).waitFor({ state: 'detached' });
      if (i < order.length - 1) {
        await suite.page.locator('#queue-position', { hasText: `Prompt 1 of ${order.length - i - 1}` }).waitFor();
        expect(await focused()).toEqual({ action: null, prompt: order[i + 1], isCard: true });
      }
    }
    expect(await pending()).toEqual([]);
    await suite.page.locator('#prompts .empty').waitFor();
    const { decisions } = (await suite.webApp.call('GET', '/api/v1/ui/decisions?limit=10', undefined, suite.webApp.ui)).body as { decisions: Array<{ outcome: string; resolvedBy: { kind: string } | null }> };
    expect(decisions.slice(0, 5).map((d) => `${d.outcome} ${d.resolvedBy?.kind}`)).toEqual(Array(5).fill('allowed ui'));
    await suite.page.waitForFunction(() => !document.title.startsWith('('));
  });

  it('moves focus to the next prompt after a keyboard reject, not to the page body', async () => {
    const first = await suite.webApp.execute('echo', ['reject me']);
    const second = await suite.webApp.execute('echo', ['keep me']);
    await suite.page.locator(`[data-prompt-id="${first.promptId}"]`).waitFor();
    await suite.page.locator(`[data-prompt-id="${first.promptId}"]`).focus();
    await suite.page.keyboard.press('Tab');
    await suite.page.keyboard.press('Tab');
    expect(await focused()).toMatchObject({ action: 'reject', prompt: first.promptId });
    await suite.page.waitForSelector(`[data-prompt-id="${first.promptId}"] button[data-action="reject"]:not([aria-disabled])`);
    await suite.page.keyboard.press('Enter');
    await suite.page.locator(`[data-prompt-id="${second.promptId}"]`).waitFor();
    expect(await focused()).toEqual({ action: null, prompt: second.promptId, isCard: true });
    expect((await suite.webApp.settled(first.runId)).state).toBe('rejected');
    await suite.webApp.resolve(second.promptId!, 'reject');
    await suite.page.locator('#prompts .empty').waitFor();
  });

  it('ignores a second click that lands on the next prompt\'s Allow button before it is armed', async () => {
    // The page's timers run on Playwright's clock here, so "before it is armed" holds however slow the machine is.
    const guarded = await openUi(suite.browser, suite.bridge.baseUrl, suite.bridge.uiToken, 'approvals', { clock: true });
    const first = await suite.webApp.execute('echo', ['first']);
    const second = await suite.webApp.execute('echo', ['again']);
    const allowFirst = guarded.locator(`[data-prompt-id="${first.promptId}"] button[data-action="allow_once"]:not([aria-disabled])`);
    await allowFirst.waitFor();
    const box = (await allowFirst.boundingBox())!;
    await guarded.clock.pauseAt(Date.now() + 1000);
    await guarded.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    const allowSecond = guarded.locator(`[data-prompt-id="${second.promptId}"] button[data-action="allow_once"]`);
    await allowSecond.waitFor();
    // No layout shift: the next card's button sits exactly under the pointer, and it is not armed yet.
    expect(await allowSecond.boundingBox()).toEqual(box);
    expect(await allowSecond.getAttribute('aria-disabled')).toBe('true');
    await guarded.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    expect((await pending()).map((p) => p.promptId)).toEqual([second.promptId]);
    await guarded.clock.resume();
    await guarded.locator(`[data-prompt-id="${second.promptId}"] button[data-action="allow_once"]:not([aria-disabled])`).click();
    await guarded.locator('#prompts .empty').waitFor();
    expect(pageErrors(guarded)).toEqual([]);
    await guarded.context().close();
  });

  it('says so when the prompt shown expires, and keeps it until the person moves on', async () => {
    await suite.webApp.call('PATCH', '/api/v1/ui/settings', { promptTimeoutMs: 2000 }, suite.webApp.ui);
    const late = await suite.webApp.execute('echo', ['too late']);
    const card = suite.page.locator(`[data-prompt-id="${late.promptId}"]`);
    await card.waitFor();
    const note = card.locator('[data-expired]');
    await note.waitFor({ timeout: 15_000 });
    expect(await note.innerText()).toContain('This prompt expired');
    expect(await card.locator('button[data-action="allow_once"]').isDisabled()).toBe(true);
    expect((await suite.webApp.settled(late.runId)).errorCode).toBe('permission_timeout');
    await note.locator('button').click();
    await suite.page.locator('#prompts .empty').waitFor();
  });

  it('threw no error', () => {
    expect(pageErrors(suite.page)).toEqual([]);
  });
});
