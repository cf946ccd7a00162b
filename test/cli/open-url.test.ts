import { readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseOsloopUrl } from '../../src/cli/open-url.js';
import { freePort } from '../support/free-port.js';
import { startTestBridge, type TestBridge } from '../support/test-bridge.js';
import { cli, homeWithPort } from './support.js';

/** A program that is not a bridge, holding the port (it greets like an SSH server). */
async function occupy(port: number): Promise<net.Server & { sockets: Set<net.Socket> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.end('SSH-2.0-not-a-bridge\r\n');
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port }, resolve));
  return Object.assign(server, { sockets });
}
const closeServer = (server: net.Server & { sockets: Set<net.Socket> }) =>
  new Promise((resolve) => {
    for (const socket of server.sockets) socket.destroy();
    server.close(resolve);
  });

describe('parseOsloopUrl', () => {
  it.each([
    ['osloop://open', 'open'],
    ['osloop://focus/', 'focus'],
    ['osloop://ensure-server', 'ensure-server'],
    ['OSLOOP://Settings', 'settings'],
    ['osloop:settings', 'settings'],
  ])('reads %s as %s', (url, action) => expect(parseOsloopUrl(url)).toBe(action));

  it.each(['osloop://delete-everything', 'https://open', 'osloop://', 'open', '', 'osloop://open/../x'])('refuses %j', (url) => expect(parseOsloopUrl(url)).toBeNull());
});

// Each case runs the real CLI (tsx start-up included) once or twice: slow on a busy machine.
describe('osloop-bridge open-url (the real CLI)', { timeout: 120_000 }, () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('refuses an unknown osloop:// URL with a clear error and exit code 64', async () => {
    const home = await homeWithPort(await freePort());
    cleanups.push(() => rm(home, { recursive: true, force: true }));
    const result = await cli(['open-url', 'osloop://format-disk'], { OSLOOP_BRIDGE_HOME: home });
    expect(result.exitCode).toBe(64);
    expect(result.stderr).toContain('Not an osloop:// URL this bridge handles');
    expect(result.stderr).toContain('osloop://ensure-server');
  });

  it('ensure-server starts the bridge detached on the configured port, then finds it running', async () => {
    const port = await freePort();
    const home = await homeWithPort(port);
    cleanups.push(() => rm(home, { recursive: true, force: true }));
    const started = await cli(['open-url', 'osloop://ensure-server'], { OSLOOP_BRIDGE_HOME: home });
    const token = (await readFile(path.join(home, 'ui-token'), 'utf8').catch(() => '')).trim();
    const info = token ? ((await (await fetch(`http://127.0.0.1:${port}/api/v1/bridge/info`, { headers: { 'x-osloop-ui-token': token } })).json()) as { pid: number }) : null;
    if (info) cleanups.push(() => stopProcess(info.pid));
    expect({ code: started.exitCode, out: started.stdout }).toMatchObject({ code: 0, out: expect.stringContaining(`Started the bridge on 127.0.0.1:${port}`) });
    expect(info?.pid).not.toBe(process.pid);

    const again = await cli(['open-url', 'osloop://ensure-server'], { OSLOOP_BRIDGE_HOME: home });
    expect({ code: again.exitCode, out: again.stdout }).toEqual({ code: 0, out: `The bridge is running on 127.0.0.1:${port}.` });
  });

  it('ensure-server reports a foreign program on the port and changes nothing', async () => {
    const port = await freePort();
    const home = await homeWithPort(port);
    const blocker = await occupy(port);
    cleanups.push(() => rm(home, { recursive: true, force: true }), () => closeServer(blocker));
    const result = await cli(['open-url', 'osloop://ensure-server'], { OSLOOP_BRIDGE_HOME: home });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain(`Port ${port} is held by another program`);
    expect(result.stderr).toContain('never moves to another port');
    expect(JSON.parse(await readFile(path.join(home, 'config.json'), 'utf8'))).toEqual({ port });
    await expect(readFile(path.join(home, 'bridge.log'))).rejects.toThrow();
  });

  it('ensure-server asks a bridge left in bind_failed to retry the same port', async () => {
    const port = await freePort();
    const home = await homeWithPort(port);
    const blocker = await occupy(port);
    const bridge: TestBridge = await startTestBridge({ home, port });
    cleanups.push(() => bridge.close());
    expect(bridge.bindState()).toBe('bind_failed');

    const blocked = await cli(['open-url', 'osloop://ensure-server'], { OSLOOP_BRIDGE_HOME: home });
    expect(blocked.exitCode).toBe(3);
    expect(blocked.stderr).toContain(`This user's bridge (pid ${process.pid}) is running without a listener (bind_failed)`);

    await closeServer(blocker);
    const retried = await cli(['open-url', 'osloop://ensure-server'], { OSLOOP_BRIDGE_HOME: home });
    expect({ code: retried.exitCode, out: retried.stdout }).toEqual({ code: 0, out: `The bridge (pid ${process.pid}) retried port ${port} and is listening.` });
    expect(bridge.bindState()).toBe('listening');
    expect(bridge.runtime.root.getSnapshot().context).toMatchObject({ configuredPort: port, activePort: port });
  });

  it.each(['focus', 'open'])('%s finds a bridge started with another --port than the config file\'s, through its control channel', async (action) => {
    const bridge = await startTestBridge();
    cleanups.push(() => bridge.close());
    const { writeFile, chmod } = await import('node:fs/promises');
    // The config file names a port nothing serves: the bridge was started with --port.
    const configured = await freePort();
    await writeFile(path.join(bridge.home, 'config.json'), JSON.stringify({ port: configured }));
    const opened = path.join(bridge.home, 'opened-url');
    const browser = path.join(bridge.home, 'browser.sh');
    await writeFile(browser, `#!/bin/sh\nprintf '%s' "$1" > '${opened}'\n`);
    await chmod(browser, 0o755);

    const result = await cli(['open-url', `osloop://${action}`], { OSLOOP_BRIDGE_HOME: bridge.home, BROWSER: browser });
    expect({ code: result.exitCode, err: result.stderr }).toEqual({ code: 0, err: '' });
    await expect.poll(() => readFile(opened, 'utf8').catch(() => '')).toBe(`http://127.0.0.1:${bridge.port()}/ui/#token=${bridge.uiToken}`);
  });

  it('open and settings open the signed-in page in the default browser ($BROWSER)', async () => {
    const bridge = await startTestBridge();
    cleanups.push(() => bridge.close());
    const { writeFile, chmod } = await import('node:fs/promises');
    await writeFile(path.join(bridge.home, 'config.json'), JSON.stringify({ port: bridge.port() }));
    const opened = path.join(bridge.home, 'opened-url');
    const browser = path.join(bridge.home, 'browser.sh');
    await writeFile(browser, `#!/bin/sh\nprintf '%s' "$1" > '${opened}'\n`);
    await chmod(browser, 0o755);

    const result = await cli(['open-url', 'osloop://settings'], { OSLOOP_BRIDGE_HOME: bridge.home, BROWSER: browser });
    expect(result.exitCode).toBe(0);
    await expect.poll(() => readFile(opened, 'utf8').catch(() => '')).toBe(`http://127.0.0.1:${bridge.port()}/ui/#token=${bridge.uiToken}&page=settings`);
    expect(result.stdout + result.stderr).not.toContain(bridge.uiToken);
  });
});

/** Stops a detached bridge and waits until its process is gone. */
async function stopProcess(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  await expect.poll(() => alive(pid), { timeout: 30_000 }).toBe(false);
}

/** Running, as opposed to gone or a zombie nobody reaped (a detached child's parent has exited). */
async function alive(pid: number): Promise<boolean> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => null);
  if (status === null) return false;
  return !/^State:\s+Z/m.test(status);
}
