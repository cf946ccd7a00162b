import { spawn } from 'node:child_process';
import { mkdir, open as openFile, readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { ConfigStore } from '../config/config-store.js';
import { resolvePaths, type BridgePaths } from '../config/paths.js';
import { PROTOCOL_VERSION } from '../contract/constants.js';
import { CLI_BIN } from '../package-root.js';
import { NoControlChannel, sendControlRequest } from '../services/ui/control-client.js';
import { controlSocketPath } from '../services/ui/control-path.js';
import type { ControlStatus } from '../services/ui/control-protocol.js';
import { readUiToken, showUi, type UiPage } from './open.js';

export const OSLOOP_ACTIONS = ['open', 'focus', 'ensure-server', 'settings'] as const;
export type OsloopAction = (typeof OSLOOP_ACTIONS)[number];

/** Exit codes of `open-url`, so a desktop launcher or a script can tell what happened. */
export const EXIT = { ok: 0, failed: 1, foreignProcess: 3, bindFailed: 4, usage: 64 } as const;

const START_WAIT_MS = 20_000;

/** `osloop://ensure-server`, `osloop://open/`, `osloop:settings` → the action; anything else → null. */
export function parseOsloopUrl(raw: string): OsloopAction | null {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return null;
  }
  if (url.protocol !== 'osloop:') return null;
  // `osloop://open` (host form) or `osloop:open` (path form); nothing may follow the action.
  if (url.host && url.pathname !== '' && url.pathname !== '/') return null;
  const name = (url.host || url.pathname).replace(/^\/+|\/+$/g, '').toLowerCase();
  return (OSLOOP_ACTIONS as readonly string[]).includes(name) ? (name as OsloopAction) : null;
}

/** What listens on the port: nothing, an osloop bridge, or some other program. */
export async function probePort(port: number): Promise<'free' | 'bridge' | 'foreign'> {
  const open = await new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(2000, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code !== 'ECONNREFUSED'));
  });
  if (!open) return 'free';
  // A timer of our own, not AbortSignal.timeout(): that one is unref'd, and when the program on the
  // port resets the connection, fetch can be left holding nothing that keeps Node running, so the
  // CLI would exit with 13 (unsettled top-level await) and print nothing.
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 3000);
  try {
    const response = await fetch(`http://127.0.0.1:${port}/api/v1/health`, { signal: abort.signal });
    const body = (await response.json()) as { protocolVersion?: unknown };
    return body.protocolVersion === PROTOCOL_VERSION ? 'bridge' : 'foreign';
  } catch {
    return 'foreign';
  } finally {
    clearTimeout(timer);
  }
}

export interface EnsureResult {
  outcome: 'running' | 'started' | 'retried' | 'bind_failed' | 'foreign' | 'failed';
  exitCode: number;
  message: string;
}

async function controlStatus(paths: BridgePaths, token: string | null, command: 'status' | 'retry'): Promise<ControlStatus | null> {
  if (!token) return null;
  try {
    const reply = await sendControlRequest(controlSocketPath(paths), { token, command });
    return reply.ok ? reply.status : null;
  } catch (error) {
    if (error instanceof NoControlChannel) return null;
    throw error;
  }
}

/**
 * `osloop://ensure-server`: makes sure this user's bridge serves the configured port, never
 * another one. Nothing there → start the bridge detached; our bridge in `bind_failed` → ask it to
 * retry the same port; another program on the port → say so and change nothing.
 */
export async function ensureServer(env: NodeJS.ProcessEnv = process.env): Promise<EnsureResult> {
  const paths = resolvePaths(env);
  const token = await readUiToken(paths);
  // The running bridge first, through its control channel: it may serve a port other than the
  // config file's (`start --port`), and that is the port it retries.
  const ours = await controlStatus(paths, token, 'status');
  if (ours?.bindState === 'listening' && ours.activePort !== null) {
    return { outcome: 'running', exitCode: EXIT.ok, message: `The bridge is running on 127.0.0.1:${ours.activePort}.` };
  }
  const port = ours?.configuredPort ?? (await ConfigStore.open(paths.configFile)).current.port;
  const onPort = await probePort(port);

  if (onPort === 'bridge') {
    if (ours?.activePort === port || (await answersToToken(port, token))) {
      return { outcome: 'running', exitCode: EXIT.ok, message: `The bridge is running on 127.0.0.1:${port}.` };
    }
    return foreign(port, 'another osloop-bridge (another user or data directory)', ours);
  }
  if (onPort === 'foreign') return foreign(port, 'another program', ours);

  if (ours) {
    // Our bridge is alive without a listener (desktop mode after a failed bind): same port again.
    const after = await controlStatus(paths, token, 'retry');
    if (after?.bindState === 'listening') {
      return { outcome: 'retried', exitCode: EXIT.ok, message: `The bridge (pid ${after.pid}) retried port ${port} and is listening.` };
    }
    return {
      outcome: 'bind_failed',
      exitCode: EXIT.bindFailed,
      message: `The bridge (pid ${ours.pid}) retried port ${port} and still cannot bind it: ${after?.bindError ?? 'unknown error'}. The port is not changed.`,
    };
  }
  return startDetached(paths, port, env);
}

function foreign(port: number, who: string, ours: ControlStatus | null): EnsureResult {
  const waiting = ours ? ` This user's bridge (pid ${ours.pid}) is running without a listener (${ours.bindState}).` : '';
  return {
    outcome: 'foreign',
    exitCode: EXIT.foreignProcess,
    message: `Port ${port} is held by ${who}.${waiting} The bridge never moves to another port: stop that program or configure another port, then run osloop://ensure-server again.`,
  };
}

async function answersToToken(port: number, token: string | null): Promise<boolean> {
  if (!token) return false;
  try {
    const response = await fetch(`http://127.0.0.1:${port}/api/v1/ui/status`, { headers: { 'x-osloop-ui-token': token }, signal: AbortSignal.timeout(3000) });
    return response.ok;
  } catch {
    return false;
  }
}

/** Starts `osloop-bridge start` in the background (its own session, output to bridge.log). */
async function startDetached(paths: BridgePaths, port: number, env: NodeJS.ProcessEnv): Promise<EnsureResult> {
  await mkdir(paths.dataDir, { recursive: true, mode: 0o700 });
  const logFile = path.join(paths.dataDir, 'bridge.log');
  const log = await openFile(logFile, 'a', 0o600);
  const child = spawn(process.execPath, [CLI_BIN, 'start'], { detached: true, stdio: ['ignore', log.fd, log.fd], env, windowsHide: true });
  child.unref();
  await log.close();
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? 1));
  const deadline = Date.now() + START_WAIT_MS;
  while (Date.now() < deadline && exited === null) {
    if ((await probePort(port)) === 'bridge') {
      return { outcome: 'started', exitCode: EXIT.ok, message: `Started the bridge on 127.0.0.1:${port} (pid ${child.pid}; log: ${logFile}).` };
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  const tail = (await readFile(logFile, 'utf8').catch(() => '')).trim().split('\n').slice(-5).join('\n');
  return { outcome: 'failed', exitCode: EXIT.failed, message: `The bridge did not come up on port ${port}${exited !== null ? ` (it exited with code ${exited})` : ''}. Last lines of ${logFile}:\n${tail}` };
}

/**
 * The port this data directory's bridge serves: asked through its control channel first (it may
 * have been started with another `--port` than the config file's), else the config file's port
 * when a bridge answers there; null when none does.
 */
async function servingPort(paths: BridgePaths): Promise<number | null> {
  const ours = await controlStatus(paths, await readUiToken(paths), 'status');
  if (ours?.activePort) return ours.activePort;
  const port = (await ConfigStore.open(paths.configFile)).current.port;
  return (await probePort(port)) === 'bridge' ? port : null;
}

async function showDesktopOnly(paths: BridgePaths, page: UiPage): Promise<boolean> {
  const token = await readUiToken(paths);
  if (!token) return false;
  try {
    const reply = await sendControlRequest(controlSocketPath(paths), { token, command: 'show', page });
    return reply.ok && reply.shown === true;
  } catch (error) {
    if (error instanceof NoControlChannel) return false;
    throw error;
  }
}

/** `osloop-bridge open-url <url>`: what the OS runs when a page opens an osloop:// link. */
export async function runOpenUrl(raw: string, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const action = parseOsloopUrl(raw);
  if (!action) {
    console.error(`Not an osloop:// URL this bridge handles: ${JSON.stringify(raw)}. Expected one of: ${OSLOOP_ACTIONS.map((a) => `osloop://${a}`).join(', ')}.`);
    return EXIT.usage;
  }
  try {
    const paths = resolvePaths(env);
    if (action !== 'focus') {
      const ensured = await ensureServer(env);
      (ensured.exitCode === EXIT.ok ? console.log : console.error)(ensured.message);
      if (ensured.exitCode !== EXIT.ok || action === 'ensure-server') return ensured.exitCode;
    }
    const page: UiPage = action === 'settings' ? 'settings' : 'status';
    const port = await servingPort(paths);
    if (port === null) {
      // No listener (bind_failed), but a desktop window still answers through the control channel.
      if (await showDesktopOnly(paths, page)) {
        console.log(`Brought the bridge window forward (${page}).`);
        return EXIT.ok;
      }
      console.error(`No bridge of ${paths.dataDir} answers; use osloop://ensure-server to start it.`);
      return EXIT.failed;
    }
    console.log((await showUi(paths, port, page, env)).message);
    return EXIT.ok;
  } catch (error) {
    console.error((error as Error).message);
    return EXIT.failed;
  }
}
