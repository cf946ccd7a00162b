import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawUntilClosed, upgradeRequest } from '../../support/raw-http.js';
import { handshake, startTestBridge, type TestBridge } from '../../support/test-bridge.js';

let bridge: TestBridge;
beforeAll(async () => {
  bridge = await startTestBridge();
});
afterAll(() => bridge.close());

/** Sends a raw WebSocket upgrade request; resolves with everything the bridge wrote once it closes the connection. */
const upgradeUntilClosed = (target: string) => rawUntilClosed(bridge.port(), upgradeRequest(bridge.port(), bridge.origin, target));

const bodyOf = (response: string) => JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as { error: { code: string; details?: { reason?: string } } };

describe('upgrade requests answered over HTTP', () => {
  it('refuses an upgrade to an HTTP route with a structured 400 instead of its answer, and closes the connection', async () => {
    const { token } = await handshake(bridge);
    const response = await upgradeUntilClosed(`/api/v1/bridge/info?sessionToken=${token}`);
    expect(response).toMatch(/^HTTP\/1\.1 400/);
    expect(bodyOf(response).error).toMatchObject({ code: 'invalid_request', details: { reason: 'not_a_socket' } });
    expect(response).not.toContain('bridgeId');
  });

  it('closes the connection of an upgrade to an unknown path once it is answered', async () => {
    const response = await upgradeUntilClosed('/ws/v1/nothing-here');
    expect(response).toMatch(/^HTTP\/1\.1 404/);
    expect(bodyOf(response).error.code).toBe('not_found');
  });

  it('still upgrades the socket routes', async () => {
    const { token } = await handshake(bridge);
    const socket = net.connect({ host: '127.0.0.1', port: bridge.port() });
    const switched = new Promise<string>((resolve) => {
      let data = '';
      socket.on('data', (chunk) => {
        data += String(chunk);
        if (data.includes('\r\n\r\n')) resolve(data);
      });
    });
    socket.write(upgradeRequest(bridge.port(), bridge.origin, `/ws/v1/events?sessionToken=${token}&events=none`));
    expect(await switched).toMatch(/^HTTP\/1\.1 101/);
    socket.destroy();
  });
});
