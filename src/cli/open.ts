import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { ConfigStore } from '../config/config-store.js';
import { resolvePaths, type BridgePaths } from '../config/paths.js';
import { NoControlChannel, sendControlRequest } from '../services/ui/control-client.js';
import { controlSocketPath } from '../services/ui/control-path.js';

export const UI_PAGES = ['status', 'approvals', 'rules', 'runs', 'mcp', 'awake', 'inspector', 'settings'] as const;
export type UiPage = (typeof UI_PAGES)[number];

/** The UI token of the bridge of this data directory; null when none has run. */
export async function readUiToken(paths: BridgePaths): Promise<string | null> {
  try {
    return (await readFile(paths.uiTokenFile, 'utf8')).trim() || null;
  } catch {
    return null;
  }
}

/**
 * The status page URL with the token in the fragment: browsers never send a fragment to the
 * server, so the token reaches neither the bridge's logs nor a proxy. The page moves it to
 * sessionStorage and clears the address bar.
 */
export function statusPageUrl(port: number, token: string, page: UiPage = 'status'): string {
  return `http://127.0.0.1:${port}/ui/#token=${token}${page === 'status' ? '' : `&page=${page}`}`;
}

/**
 * Opens a URL in the default browser. `$BROWSER` (the convention of Python's webbrowser, Jupyter
 * and xdg) wins when set; otherwise the `open` package picks xdg-open, `open` or `start`.
 */
export async function openBrowser(url: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const browser = env.BROWSER?.split(':')[0]?.trim();
  if (browser) {
    const child = spawn(browser, [url], { detached: true, stdio: 'ignore', env });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    child.unref();
    return;
  }
  // Loaded when used: `open` is an ES module only, which the CommonJS CLI bundle can load only by import().
  const { default: open } = await import('open');
  await open(url);
}

export interface ShowResult {
  how: 'desktop' | 'browser';
  message: string;
}

/**
 * Shows a page of the local UI: brings the desktop window forward when one is connected to the
 * bridge, else opens the page in the default browser.
 */
export async function showUi(paths: BridgePaths, port: number, page: UiPage, env: NodeJS.ProcessEnv = process.env): Promise<ShowResult> {
  const token = await readUiToken(paths);
  if (!token) throw new Error(`No UI token in ${paths.uiTokenFile}: is a bridge running for this data directory?`);
  try {
    const reply = await sendControlRequest(controlSocketPath(paths), { token, command: 'show', page });
    if (reply.ok && reply.shown) return { how: 'desktop', message: `Brought the bridge window forward (${page}).` };
  } catch (error) {
    if (!(error instanceof NoControlChannel)) throw error;
  }
  await openBrowser(statusPageUrl(port, token, page), env);
  return { how: 'browser', message: `Opened http://127.0.0.1:${port}/ui/ (${page}) in the default browser.` };
}

/** `osloop-bridge open [page]`: the status page of the running bridge, already signed in. */
export async function runOpen(options: { page?: string; port?: number }, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const page = (options.page ?? 'status') as UiPage;
  if (!UI_PAGES.includes(page)) {
    console.error(`Unknown page ${JSON.stringify(options.page)}; expected one of: ${UI_PAGES.join(', ')}.`);
    return 64;
  }
  const paths = resolvePaths(env);
  const port = options.port ?? (await ConfigStore.open(paths.configFile)).current.port;
  try {
    const health = await fetch(`http://127.0.0.1:${port}/api/v1/health`, { signal: AbortSignal.timeout(3000) });
    if (!health.ok) throw new Error(`HTTP ${health.status}`);
  } catch {
    console.error(`No bridge answers on 127.0.0.1:${port}. Start one with \`osloop-bridge start\` (or \`osloop-bridge open-url osloop://ensure-server\`).`);
    return 1;
  }
  try {
    console.log((await showUi(paths, port, page, env)).message);
    return 0;
  } catch (error) {
    console.error((error as Error).message);
    return 1;
  }
}
