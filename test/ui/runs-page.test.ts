import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBridge, type TestBridge } from '../support/test-bridge.js';
import { chromiumAvailable, launchChromium, openUi, pageErrors } from './support/chromium.js';
import { webAppFor, type WebApp } from './support/web-app.js';

const PACED = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/paced-output.mjs');

describe.skipIf(!chromiumAvailable('runs page'))('runs page (Chromium against a real bridge and real processes)', () => {
  let bridge: TestBridge;
  let browser: Browser;
  let page: Page;
  let app: WebApp;
  let gates: string;
  const live: string[] = [];

  /** Starts the paced fixture with `steps`, allowed from the UI; `open(i)` lets step i+1 come. */
  const paced = async (name: string, steps: string[]) => {
    const dir = path.join(gates, name);
    await (await import('node:fs/promises')).mkdir(dir);
    const run = await app.execute(process.execPath, [PACED, dir, ...steps], { title: name });
    await app.resolve(run.promptId!, 'allow_once');
    live.push(run.runId);
    return { runId: run.runId, open: (i: number) => writeFile(path.join(dir, `next-${i}`), '') };
  };
  const details = async (runId: string) => (await app.call('GET', `/api/v1/system/commands/runs/${runId}`, undefined, app.ui)).body as { stdoutBytes: number; stderrBytes: number; state: string };
  /** Waits until the bridge has read `bytes` bytes of output of the run, in all. */
  const received = async (runId: string, bytes: number) => {
    for (;;) {
      const d = await details(runId);
      if (d.stdoutBytes + d.stderrBytes >= bytes) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const openRun = async (runId: string, tab: Page = page) => {
    await tab.evaluate((id) => (location.hash = `runs?run=${id}`), runId);
    await tab.locator(`#run-list button[data-run-id="${runId}"][aria-pressed="true"]`).waitFor();
    await tab.locator('#run-heading').waitFor();
  };

  beforeAll(async () => {
    // The web app may relay a decision here (approvals.localOnly off), so that a run it allowed itself can be told apart.
    bridge = await startTestBridge({ config: { commandPath: 'inherited', promptTimeoutMs: 30 * 60_000, approvals: { localOnly: false } } });
    app = await webAppFor(bridge);
    gates = await mkdtemp(path.join(os.tmpdir(), 'osloop-ui-gates-'));
    browser = await launchChromium();
    page = await openUi(browser, bridge.baseUrl, bridge.uiToken, 'runs');
  });
  afterAll(async () => {
    for (const runId of live) await app?.call('POST', `/api/v1/system/commands/runs/${runId}/terminate`, {}, app.ui);
    await browser?.close();
    await bridge?.close();
    if (gates) await rm(gates, { recursive: true, force: true });
  });

  it('lists a run the moment it exists, while it still awaits permission', async () => {
    const run = await app.execute('echo', ['waiting']);
    const item = page.locator(`#run-list button[data-run-id="${run.runId}"]`);
    await item.waitFor();
    expect(await item.locator('.state').innerText()).toBe('awaiting permission');
    expect(await item.locator('.state').getAttribute('data-state')).toBe('awaiting_permission');
    expect(await item.locator('.what').innerText()).toBe('echo waiting');
    await app.resolve(run.promptId!, 'reject');
  });

  it('puts the reason of a failed run first, in words, with the code beside it', async () => {
    const run = await app.execute('pnpm-is-not-installed-here', ['install']);
    await app.resolve(run.promptId!, 'allow_once');
    await app.settled(run.runId);
    await openRun(run.runId);
    const reason = page.locator('#failure-reason');
    await reason.filter({ hasText: 'Could not start "pnpm-is-not-installed-here": ENOENT' }).waitFor();
    expect(await reason.locator('.tag').innerText()).toBe('spawn_failure');
  });

  it('says a rejection in words, not as the raw code, and who rejected it', async () => {
    const run = await app.execute('rm', ['-rf', 'dist']);
    await app.resolve(run.promptId!, 'reject');
    await app.settled(run.runId);
    await openRun(run.runId);
    await page.locator('#failure-reason', { hasText: 'It was rejected when asked.' }).waitFor();
    expect(await page.locator('#failure-reason .tag').innerText()).toBe('rejected_by_user');
    await page.locator('#decided-by[data-who="you"]', { hasText: 'Rejected by you, in this window' }).waitFor();
  });

  it('says who decided: you here, the web app itself, a rule, or the timeout', async () => {
    const byWebApp = await app.execute('echo', ['web app said yes']);
    await app.resolveAsWebApp(byWebApp.promptId!, 'allow_once');
    const byRule = await app.execute('echo', ['ruled']);
    await app.resolve(byRule.promptId!, 'allow_and_whitelist');
    const again = await app.execute('echo', ['ruled']);
    expect(again.promptId).toBeUndefined();
    await app.call('PATCH', '/api/v1/ui/settings', { promptTimeoutMs: 1000 }, app.ui);
    const late = await app.execute('echo', ['nobody answered']);
    expect((await app.settled(late.runId)).state).toBe('rejected');
    await app.call('PATCH', '/api/v1/ui/settings', { promptTimeoutMs: 30 * 60_000 }, app.ui);
    const cases: Array<[string, string, string]> = [
      [byWebApp.runId, 'web_app', 'Allowed by the web app'],
      [again.runId, 'rule', 'Allowed by a whitelist rule'],
      [late.runId, 'timeout', 'Rejected: nobody answered in time'],
    ];
    for (const [runId, who, text] of cases) {
      await openRun(runId);
      await page.locator(`#decided-by[data-who="${who}"]`, { hasText: text }).waitFor();
    }
    await page.evaluate(() => (location.hash = 'history'));
    for (const who of ['you', 'web_app', 'rule', 'timeout']) await page.locator(`#decisions tr[data-decided-by="${who}"]`).first().waitFor();
  });

  it('counts duration and bytes while a run is live', async () => {
    const run = await paced('live counts', ['o:first chunk\\n', 'o:second chunk\\n']);
    await received(run.runId, 12);
    await openRun(run.runId);
    const duration = page.locator('[data-fact="duration"]');
    const was = await duration.innerText();
    await page.waitForFunction(([w]) => document.querySelector('[data-fact="duration"]')?.textContent !== w, [was]);
    expect(await page.locator('[data-fact="bytes"]').innerText()).toMatch(/^12 B stdout/);
    await run.open(0);
    await page.locator('[data-fact="bytes"]', { hasText: '25 B stdout' }).waitFor();
    await run.open(1);
  });

  it('follows the tail only while at the bottom, with "Jump to live" to resume', async () => {
    const lines = Array.from({ length: 120 }, (_, i) => `line ${i}`).join('\\n');
    const run = await paced('scrolling', [`o:${lines}\\n`, 'o:more while scrolled up\\n', 'o:more after jumping\\n', 'o:end\\n']);
    await openRun(run.runId);
    const terminal = page.locator('#run-output');
    await terminal.filter({ hasText: 'line 119' }).waitFor();
    const atBottom = () => terminal.evaluate((t) => t.scrollHeight - t.scrollTop - t.clientHeight <= 4);
    expect(await atBottom()).toBe(true);
    await terminal.evaluate((t) => t.scrollTo({ top: 0 }));
    await page.locator('#jump-live').waitFor();
    await run.open(0);
    await terminal.filter({ hasText: 'more while scrolled up' }).waitFor();
    expect(await terminal.evaluate((t) => t.scrollTop)).toBe(0);
    await page.click('#jump-live');
    expect(await atBottom()).toBe(true);
    expect(await page.locator('#jump-live').isHidden()).toBe(true);
    await run.open(1);
    await terminal.filter({ hasText: 'more after jumping' }).waitFor();
    expect(await atBottom()).toBe(true);
    await run.open(2);
    await run.open(3);
  });

  /**
   * A paced run opened in a new tab whose details reply is answered late: the details are fetched
   * as they are, `meanwhile` moves the run on, and the stale reply reaches the page only once it
   * has heard the event `heard` looks for. Then `check` looks at the tab.
   */
  const withDetailsAnsweredLate = async (
    { name, steps, meanwhile, heard }: { name: string; steps: string[]; meanwhile: (run: Awaited<ReturnType<typeof paced>>) => Promise<void>; heard: (frame: string, runId: string) => boolean },
    check: (tab: Page, runId: string) => Promise<void>,
  ) => {
    const framesSeen: string[] = [];
    const tab = await openUi(browser, bridge.baseUrl, bridge.uiToken, 'runs', {
      beforeLoad: (t) => t.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => void framesSeen.push(String(payload)))),
    });
    try {
      const run = await paced(name, steps);
      await received(run.runId, 6);
      await tab.route(`**/api/v1/system/commands/runs/${run.runId}`, async (route) => {
        const stale = await route.fetch(); // the details as they are now: "first" only
        await meanwhile(run);
        await expect.poll(() => framesSeen.some((frame) => heard(frame, run.runId)), { timeout: 20_000 }).toBe(true);
        await route.fulfill({ response: stale });
      }, { times: 1 });
      await openRun(run.runId, tab);
      await check(tab, run.runId);
      expect(pageErrors(tab)).toEqual([]);
    } finally {
      await tab.context().close();
    }
  };

  it('shows output the run wrote while its details were loading', async () => {
    // The page fetches a run's details, then applies live chunks; one that arrives between the
    // bridge's answer and the page applying it must not fall in the gap.
    await withDetailsAnsweredLate({
      name: 'loading race',
      steps: ['o:first\\n', 'o:while loading\\n'],
      meanwhile: (run) => run.open(0),
      heard: (frame) => frame.includes('system.command.stdout') && frame.includes('while loading'),
    }, async (tab) => {
      const terminal = tab.locator('#run-output');
      await terminal.filter({ hasText: 'while loading' }).waitFor();
      expect(await terminal.innerText()).toBe('first\nwhile loading\n');
    });
  });

  it('shows the end of a run that ended while its details were loading', async () => {
    // The details answered before the run ended must not hide the end that an event told of meanwhile.
    await withDetailsAnsweredLate({
      name: 'ending race',
      steps: ['o:first\\n', 'o:last\\n'],
      meanwhile: async (run) => {
        await run.open(0);
        await run.open(1);
      },
      heard: (frame, runId) => frame.includes('system.command.completed') && frame.includes(runId),
    }, async (tab, runId) => {
      await tab.locator('#run-heading .state-completed').waitFor();
      expect(await tab.locator('#terminate').isHidden()).toBe(true);
      await tab.locator('#run-output').filter({ hasText: 'last' }).waitFor();
      expect(await tab.locator('#run-output').innerText()).toBe('first\nlast\n');
      expect(await tab.locator(`#run-list button[data-run-id="${runId}"] .state-completed`).count()).toBe(1);
    });
  });

  it('keeps stderr where it was written after a reload', async () => {
    const steps = ['o:out 1\\n', 'e:err 1\\n', 'o:out 2\\n', 'e:err 2\\n', 'o:out 3\\n'];
    const run = await paced('interleaved', steps);
    let total = 0;
    for (const [i, step] of steps.entries()) {
      total += step.length - 3; // minus the stream prefix and the escaped newline's extra character
      await received(run.runId, total);
      await run.open(i);
    }
    expect((await app.settled(run.runId)).state).toBe('completed');
    await page.reload();
    await openRun(run.runId);
    const terminal = page.locator('#run-output');
    await terminal.filter({ hasText: 'out 3' }).waitFor();
    expect(await terminal.innerText()).toBe('out 1\nerr 1\nout 2\nerr 2\nout 3\n');
    expect(await terminal.locator('.stderr').allInnerTexts()).toEqual(['err 1\n', 'err 2\n']);
  });

  it('searches, copies and downloads the output', async () => {
    const run = (await app.call('GET', '/api/v1/system/commands/runs?limit=50', undefined, app.ui)).body as { runs: Array<{ runId: string; title: string }> };
    const interleaved = run.runs.find((r) => r.title === 'interleaved')!.runId;
    await openRun(interleaved);
    await page.fill('#output-search', 'err');
    await page.locator('#output-found', { hasText: '1 of 2 matches' }).waitFor();
    expect(await page.locator('#run-output mark').allInnerTexts()).toEqual(['err', 'err']);
    await page.press('#output-search', 'Enter');
    await page.locator('#output-found', { hasText: '2 of 2 matches' }).waitFor();
    await page.fill('#output-search', '');
    expect(await page.locator('#run-output mark').count()).toBe(0);

    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: bridge.baseUrl });
    await page.click('#output-copy');
    await page.locator('#output-copy', { hasText: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('out 1\nerr 1\nout 2\nerr 2\nout 3\n');

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#output-download')]);
    expect(download.suggestedFilename()).toBe(`${interleaved}.log`);
    expect(await readFile((await download.path())!, 'utf8')).toBe('out 1\nerr 1\nout 2\nerr 2\nout 3\n');
  });

  it('renders bold and colours with classes, which the page\'s CSP allows', async () => {
    const run = await app.execute('printf', ['\u001b[1mbold\u001b[0m \u001b[1;31mbold red\u001b[0m plain\\n']);
    await app.resolve(run.promptId!, 'allow_once');
    await app.settled(run.runId);
    await openRun(run.runId);
    const bold = page.locator('#run-output .ansi-bold').first();
    await bold.waitFor();
    expect(await bold.evaluate((el) => getComputedStyle(el).fontWeight)).toBe('700');
    expect(await page.locator('#run-output .ansi-bold.ansi-red-fg').innerText()).toBe('bold red');
    expect(await page.locator('#run-output [style]').count()).toBe(0);
    expect(await page.locator('#run-heading').innerText()).toContain("printf '");
  });

  it('shows the details of a run picked at 800 px in view, above the long list', async () => {
    const narrow = await openUi(browser, bridge.baseUrl, bridge.uiToken, 'runs', { width: 800, height: 700 });
    const items = narrow.locator('#run-list button[data-run-id]');
    await items.nth(9).waitFor();
    await items.nth(9).click();
    await narrow.locator('#run-detail #run-heading').waitFor();
    const box = (await narrow.locator('#run-heading').boundingBox())!;
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.y).toBeLessThan(700);
    expect(pageErrors(narrow)).toEqual([]);
    await narrow.context().close();
  });

  it('threw no error', () => {
    expect(pageErrors(page)).toEqual([]);
  });
});
