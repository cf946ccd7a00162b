import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handshake, startTestBridge, type TestBridge } from '../support/test-bridge.js';
import { chromiumAvailable, launchChromium, openUi, pageErrors } from './support/chromium.js';

describe.skipIf(!chromiumAvailable('inspector page'))('inspector page (Chromium against a real bridge)', () => {
  let bridge: TestBridge;
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    // Sessions that expire within seconds give the inspector a real state change to show.
    bridge = await startTestBridge({ config: { sessionTtlMs: 2000 } });
    browser = await launchChromium();
    page = await openUi(browser, bridge.baseUrl, bridge.uiToken, 'inspector');
    await page.waitForSelector('#statechart svg');
  });
  afterAll(async () => {
    await browser?.close();
    await bridge?.close();
  });

  it('draws the bridge machine with its current state highlighted', async () => {
    expect(await page.locator('#statechart .node[data-state-path="bind_failed"]').count()).toBe(1);
    expect(await page.locator('#statechart .node.active').getAttribute('data-state-path')).toBe('listening');
    expect(await page.locator('#statechart .edge text', { hasText: 'listener.retry' }).count()).toBe(1);
  });

  it('lays states out without overlaps (positions come from ELK)', async () => {
    const boxes = await page.$$eval('#statechart .node:not(.compound) > rect:first-child', (rects) =>
      rects.map((r) => ({ x: Number(r.getAttribute('x')), y: Number(r.getAttribute('y')), w: Number(r.getAttribute('width')), h: Number(r.getAttribute('height')) })),
    );
    expect(boxes.length).toBe(5);
    for (const [i, a] of boxes.entries()) {
      for (const b of boxes.slice(i + 1)) {
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        expect(overlap).toBe(false);
      }
    }
  });

  it('shows a new session actor live and highlights its move from active to expired', async () => {
    const { sessionId } = await handshake(bridge);
    const item = page.locator(`#actor-tree button[data-actor-id="${sessionId}"]`);
    await item.waitFor();
    await item.click();
    await page.waitForSelector('#statechart[data-kind="session"] svg');
    await page.waitForSelector('#statechart .node.active[data-state-path="active"]');
    expect(await page.locator('#actor-context').innerText()).toContain('"tokenHash": "[hidden]"');

    await page.waitForSelector('#statechart .node.active[data-state-path="expired"]', { timeout: 10_000 });
    expect(await page.locator('#statechart .node.active').count()).toBe(1);
    expect(await page.locator('#current-state').innerText()).toBe('expired');
    expect(await item.innerText()).toContain('ended');
    const log = page.locator('#transition-log tr', { hasText: sessionId });
    expect(await log.count()).toBeGreaterThanOrEqual(2);
  });

  it('filters the transition log by kind', async () => {
    // A settings change is a transition of the bridge actor itself (a child's spawn or end is its
    // supervisor's, which the inspector does not show), so the log has the bridge's rows too.
    const changed = await fetch(`${bridge.baseUrl}/api/v1/ui/settings`, {
      method: 'PATCH',
      headers: { origin: bridge.origin, 'content-type': 'application/json', 'x-osloop-ui-token': bridge.uiToken },
      body: JSON.stringify({ promptTimeoutMs: 90_000 }),
    });
    expect(changed.status).toBe(200);
    await page.locator('#transition-log tr', { hasText: 'settings.update' }).first().waitFor();
    await page.selectOption('#filter-kind', 'bridge');
    const kinds = await page.$$eval('#transition-log tbody tr td:nth-child(2)', (cells) => cells.map((c) => c.textContent));
    expect(kinds.length).toBeGreaterThan(0);
    expect(new Set(kinds)).toEqual(new Set(['bridge']));
    await page.selectOption('#filter-kind', '');
  });

  it('fits the whole chart in its panel, with zoom and pan, and can bring the current state into view', async () => {
    const fits = () => page.evaluate(() => {
      const box = document.querySelector('#statechart')!.getBoundingClientRect();
      const svg = document.querySelector('#statechart svg')!.getBoundingClientRect();
      const active = document.querySelector('#statechart .node.active > rect')!.getBoundingClientRect();
      return { svgInside: svg.left >= box.left && svg.right <= box.right + 0.5, activeInside: active.left >= box.left && active.right <= box.right && active.top >= box.top && active.bottom <= box.bottom };
    });
    await page.click('#actor-tree button[data-actor-id="bridge"]');
    await page.waitForSelector('#statechart[data-kind="bridge"] svg');
    expect(await fits()).toEqual({ svgInside: true, activeInside: true });
    const viewBox = () => page.locator('#statechart svg').getAttribute('viewBox');
    const fitted = await viewBox();
    await page.click('#chart-zoom-in');
    const zoomed = await viewBox();
    expect(Number(zoomed!.split(' ')[2])).toBeLessThan(Number(fitted!.split(' ')[2]));
    await page.focus('#statechart svg');
    await page.keyboard.press('ArrowRight');
    expect((await viewBox())!.split(' ')[0]).not.toBe(zoomed!.split(' ')[0]);
    await page.click('#chart-current');
    expect((await fits()).activeInside).toBe(true);
    await page.click('#chart-fit');
    expect(await viewBox()).toBe(fitted);
  });

  it('names actors in the tree by what they are, not only by id', async () => {
    const { sessionId } = await handshake(bridge);
    const label = page.locator(`#actor-tree button[data-actor-id="${sessionId}"] [data-label]`);
    await label.waitFor();
    expect(await label.innerText()).toBe('test');
  });

  it('says so when no transition matches the filters', async () => {
    await page.fill('#filter-event', 'no-such-event-anywhere');
    await page.locator('#transition-log tr.empty', { hasText: 'No transition matches these filters.' }).waitFor();
    await page.fill('#filter-event', '');
  });

  it('threw no error', () => {
    expect(pageErrors(page)).toEqual([]);
  });
});
