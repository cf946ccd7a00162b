import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../cli/support.js';
import { freePort } from '../support/free-port.js';
import { raisePrintfPrompt, runState } from '../ui/support/raise-prompt.js';
import { ARMING_MS } from '../../ui/resources/js/views/approvals-queue.js';
import { clickTrayItem, findInWindow, neutralinoBinary, notifications, screenText, startDesktopSession, trayMenu, type DesktopSession } from './support/desktop-session.js';

const BINARY = neutralinoBinary('real desktop window');
const TITLE = 'OS Loop Bridge';
/** Where to save screenshots of the real window (docs/screenshots/ when recording a run). */
const SHOTS = process.env.OSLOOP_DESKTOP_SCREENSHOTS;

/**
 * Polls `probe` until it returns something truthy (the window and the bridge are separate
 * processes). A probe that throws counts as "not yet": AT-SPI answers "the application no longer
 * exists" now and then while WebKit rebuilds its accessibility tree; the last error is reported.
 */
async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    const value = await probe().catch((error: unknown) => {
      lastError = error;
      return null;
    });
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastError ? ` (last probe error: ${String(lastError)})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

interface App {
  port: number;
  home: string;
  bridge: ResultPromise;
  output(): string;
  /** The Neutralino process: its windows, tray and accessibility tree. */
  windowPid: number;
  windowId: string;
}

/** `osloop-bridge start --ui` with the real Neutralino, as a user starts it. */
async function startApp(session: DesktopSession, config: Record<string, unknown>): Promise<App> {
  const port = await freePort();
  const home = await mkdtemp(path.join(os.tmpdir(), 'osloop-desktop-'));
  // Prompts wait long enough for a slow machine's accessibility and D-Bus round trips.
  await writeFile(path.join(home, 'config.json'), JSON.stringify({ port, commandPath: 'inherited', promptTimeoutMs: 600_000, ...config }));
  const bridge = execa(process.execPath, [BIN, 'start', '--ui'], {
    env: { ...session.env, OSLOOP_BRIDGE_HOME: home, XDG_DATA_HOME: path.join(home, 'xdg-data'), OSLOOP_NEUTRALINO_BIN: BINARY! },
    reject: false,
    all: true,
  });
  let output = '';
  bridge.all!.on('data', (chunk: Buffer) => (output += String(chunk)));
  const windowId = await until('the window', async () => (await session.run('xdotool', ['search', '--onlyvisible', '--name', `^${TITLE}$`]).catch(() => '')).split('\n')[0]);
  const windowPid = Number(await session.run('xdotool', ['getwindowpid', windowId]));
  return { port, home, bridge, output: () => output, windowPid, windowId };
}

async function closeWithWindowManager(session: DesktopSession, app: App): Promise<void> {
  await session.run('xdotool', ['windowactivate', '--sync', app.windowId]);
  await session.run('xdotool', ['key', '--clearmodifiers', 'alt+F4']);
}

/** ImageMagick's `import` of the whole screen, into `OSLOOP_DESKTOP_SCREENSHOTS` (made if missing). */
async function screenshot(session: DesktopSession, name: string): Promise<void> {
  if (!SHOTS) return;
  await mkdir(SHOTS, { recursive: true });
  await session.run('import', ['-window', 'root', path.join(SHOTS, name)]);
}

describe.skipIf(!BINARY)('the desktop window in a real Neutralino (xvfb-run, openbox, dunst, trayer)', { timeout: 300_000 }, () => {
  let session: DesktopSession;
  beforeAll(async () => {
    session = await startDesktopSession();
  }, 60_000);
  afterAll(async () => {
    await session?.stop();
  });

  describe('tray mode off', () => {
    let app: App;
    beforeAll(async () => {
      app = await startApp(session, {});
    }, 120_000);
    afterAll(async () => {
      if (app?.bridge.exitCode === null) app.bridge.kill('SIGTERM');
      await app?.bridge;
      await rm(app?.home ?? '', { recursive: true, force: true });
    });

    it('renders the Status page with live data from the bridge', async () => {
      const text = await until('the Status page', async () => {
        const shown = await screenText(session, app.windowPid);
        return shown.includes('Bound port') && shown.includes(`127.0.0.1:${app.port}`) && shown.includes('listening') && shown;
      });
      expect(text).toContain('● live');
      // The overview's cards are read from their own routes, a moment after the page.
      await until('the overview', async () => {
        const shown = await screenText(session, app.windowPid);
        return shown.includes('Nothing is running.') && shown.includes('Nothing is broken.');
      });
      await screenshot(session, 'desktop-window-status.png');
    });

    it('exports its tray menu over D-Bus, with the bridge state first', async () => {
      const menu = await until('the tray menu', () => trayMenu(session, app.windowPid));
      expect(menu.items.map((i) => i.label)).toEqual([`Bridge: listening on 127.0.0.1:${app.port}`, 'Show Status', 'Approvals', 'Quit']);
      expect(menu.items[0]!.enabled).toBe(false);
    });

    it('shows a prompt raised over HTTP in Approvals, and Allow once clicked with xdotool completes the run', async () => {
      const baseUrl = `http://127.0.0.1:${app.port}`;
      const { runId, headers } = await raisePrintfPrompt(baseUrl, 'hello from the real window', 'Print from the real window');
      const menu = await until('the tray counting the prompt', async () => {
        const current = await trayMenu(session, app.windowPid);
        return current?.items.some((i) => i.label === 'Approvals (1 pending)') && current;
      });
      // WebKitGTK refuses the webview's notifications in Neutralino 6.9: Neutralino's own shows it.
      await until('the notification', async () => (await notifications(session)).find((n) => n.startsWith('Permission requested\nPrint from the real window')));
      await clickTrayItem(session, menu, 'Approvals (1 pending)');
      const allowOnce = await until('the Allow once button', () => findInWindow(session, app.windowPid, 'push button', 'Allow once'));
      await screenshot(session, 'desktop-window-approvals.png');
      // The page ignores answers for ARMING_MS after a prompt becomes current (its mis-click
      // guard), as a person who just opened the page would not notice: wait it out once.
      await new Promise((resolve) => setTimeout(resolve, ARMING_MS + 200));
      await session.run('xdotool', ['windowactivate', '--sync', app.windowId]);
      await session.run('xdotool', ['mousemove', '--window', app.windowId, String(allowOnce.x), String(allowOnce.y), 'click', '1']);
      expect(await runState(baseUrl, headers, runId, 30_000)).toBe('completed');
    });

    it('quits the app and the bridge when the window is closed', async () => {
      await closeWithWindowManager(session, app);
      const result = await app.bridge;
      expect(result.exitCode).toBe(0);
      expect(app.output()).toContain('stopping (desktop window closed)');
      await expect(session.run('kill', ['-0', String(app.windowPid)])).rejects.toThrow();
    });
  });

  describe('tray mode on', () => {
    let app: App;
    beforeAll(async () => {
      app = await startApp(session, { trayMode: true });
    }, 120_000);
    afterAll(async () => {
      if (app?.bridge.exitCode === null) app.bridge.kill('SIGTERM');
      await app?.bridge;
      await rm(app?.home ?? '', { recursive: true, force: true });
    });

    it('hides to the tray on close, shows again from the tray, and quits from it', async () => {
      await until('the page', async () => (await screenText(session, app.windowPid)).includes('● live'));
      await closeWithWindowManager(session, app);
      await until('the window hidden', async () => (await session.run('xdotool', ['search', '--onlyvisible', '--name', `^${TITLE}$`]).catch(() => '')) === '');
      expect(app.bridge.exitCode).toBeNull();
      const menu = await until('the tray menu', () => trayMenu(session, app.windowPid));
      await clickTrayItem(session, menu, 'Show Status');
      await until('the window shown again', async () => (await session.run('xdotool', ['search', '--onlyvisible', '--name', `^${TITLE}$`]).catch(() => '')) !== '');
      await clickTrayItem(session, menu, 'Quit');
      expect((await app.bridge).exitCode).toBe(0);
      expect(app.output()).toContain('stopping (desktop window closed)');
    });
  });
});
