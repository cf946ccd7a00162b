import { rm, stat } from 'node:fs/promises';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { sendControlRequest, NoControlChannel } from '../../../src/services/ui/control-client.js';
import { controlSocketPath } from '../../../src/services/ui/control-path.js';
import { freePort } from '../../support/free-port.js';
import { startTestBridge, type TestBridge } from '../../support/test-bridge.js';

/** Holds a loopback port the way a foreign program would. */
async function occupy(port: number): Promise<net.Server> {
  const server = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port }, resolve));
  return server;
}

describe('control channel (Unix socket in the data directory)', () => {
  let bridge: TestBridge | undefined;
  let blocker: net.Server | undefined;
  afterEach(async () => {
    await bridge?.close();
    await new Promise((resolve) => (blocker ? blocker.close(resolve) : resolve(undefined)));
    bridge = blocker = undefined;
  });

  it('answers status with the bridge\'s listener state, to this user only', async () => {
    bridge = await startTestBridge();
    const socketPath = controlSocketPath(bridge.paths);
    expect((await stat(socketPath)).mode & 0o777).toBe(0o600);
    const reply = await sendControlRequest(socketPath, { token: bridge.uiToken, command: 'status' });
    expect(reply).toMatchObject({ ok: true, status: { pid: process.pid, bindState: 'listening', activePort: bridge.port(), configuredPort: bridge.port() } });
  });

  it('refuses a request without the UI token', async () => {
    bridge = await startTestBridge();
    const reply = await sendControlRequest(controlSocketPath(bridge.paths), { token: 'x'.repeat(43), command: 'status' });
    expect(reply).toEqual({ ok: false, error: { code: 'unauthorized', message: 'Wrong UI token.' } });
  });

  it('reaches a bridge in bind_failed, and retries the same port once it is free', async () => {
    const port = await freePort();
    blocker = await occupy(port);
    bridge = await startTestBridge({ port });
    expect(bridge.bindState()).toBe('bind_failed');
    const socketPath = controlSocketPath(bridge.paths);

    const stillBlocked = await sendControlRequest(socketPath, { token: bridge.uiToken, command: 'retry' });
    expect(stillBlocked).toMatchObject({ ok: true, status: { bindState: 'bind_failed', configuredPort: port, activePort: null } });

    await new Promise((resolve) => blocker!.close(resolve));
    blocker = undefined;
    const retried = await sendControlRequest(socketPath, { token: bridge.uiToken, command: 'retry' });
    expect(retried).toMatchObject({ ok: true, status: { bindState: 'listening', configuredPort: port, activePort: port } });
    expect((await fetch(`http://127.0.0.1:${port}/api/v1/health`)).status).toBe(200);
  });

  it('says no desktop window was shown when none is connected', async () => {
    bridge = await startTestBridge();
    const reply = await sendControlRequest(controlSocketPath(bridge.paths), { token: bridge.uiToken, command: 'show', page: 'approvals' });
    expect(reply).toMatchObject({ ok: true, shown: false });
  });

  it('removes its socket on stop, so the CLI sees no bridge', async () => {
    bridge = await startTestBridge({ keepHome: true });
    const socketPath = controlSocketPath(bridge.paths);
    await bridge.close();
    const home = bridge.home;
    bridge = undefined;
    await expect(sendControlRequest(socketPath, { token: 'x', command: 'status' })).rejects.toBeInstanceOf(NoControlChannel);
    await rm(home, { recursive: true, force: true });
  });
});
