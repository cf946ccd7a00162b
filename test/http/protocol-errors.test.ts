import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { rawRequest } from '../support/raw-http.js';
import { handshake, startTestBridge, type TestBridge } from '../support/test-bridge.js';

/**
 * What is refused before any route runs (Node's HTTP parser, the router, `ws`'s handshake checks)
 * answers with the structured error body like everything else; bugs the fuzzer found
 * (test/hardening/fuzz.test.ts) where fastify's or ws's own formats leaked out.
 */
let bridge: TestBridge;
let token: string;
beforeAll(async () => {
  bridge = await startTestBridge();
  token = (await handshake(bridge)).token;
});
afterAll(() => bridge.close());

const host = () => `Host: 127.0.0.1:${bridge.port()}`;
const errorOf = (body: string) => (JSON.parse(body) as { error: { code: string; message: string } }).error;

describe('requests refused before routing', () => {
  it.each([
    ['a NUL byte in a header', () => ['GET /api/v1/health HTTP/1.1', host(), 'Content-Type: application/json\0']],
    ['a control character in the path', () => ['GET /api/v1/health\u0001 HTTP/1.1', host()]],
    ['headers over the size limit', () => ['GET /api/v1/health HTTP/1.1', host(), `X-Big: ${'a'.repeat(20_000)}`]],
  ])('answers %s with a structured 400', async (_name, lines) => {
    const response = await rawRequest(bridge.port(), lines());
    expect(response.status).toBe(400);
    expect(errorOf(response.body).code).toBe('invalid_request');
  });

  it('leaves a long id to its schema (400), not to the router (414 in fastify\'s own format)', async () => {
    const response = await rawRequest(bridge.port(), [`GET /api/v1/system/commands/runs/${'x'.repeat(300)} HTTP/1.1`, host(), `x-osloop-bridge-token: ${token}`, `Origin: ${bridge.origin}`]);
    expect(response.status).toBe(400);
    expect(errorOf(response.body).code).toBe('invalid_request');
  });

  it('accepts a 128-character id, the longest the contract allows, as far as the lookup (404)', async () => {
    const response = await rawRequest(bridge.port(), [`GET /api/v1/system/commands/runs/${'x'.repeat(128)} HTTP/1.1`, host(), `x-osloop-bridge-token: ${token}`, `Origin: ${bridge.origin}`]);
    expect(response.status).toBe(404);
    expect(errorOf(response.body).code).toBe('not_found');
  });
});

describe('the sockets', () => {
  it.each(['/ws/v1/events', '/ws/v1/ui/inspector'])('answers a plain GET of %s with a structured 400, not an empty 404', async (path) => {
    const response = await rawRequest(bridge.port(), [`GET ${path} HTTP/1.1`, host(), `Origin: ${bridge.origin}`, `x-osloop-ui-token: ${bridge.uiToken}`]);
    expect(response.status).toBe(400);
    expect(errorOf(response.body)).toMatchObject({ code: 'invalid_request', message: expect.stringContaining('WebSocket endpoint') });
  });

  it.each([
    ['an Upgrade header that is not websocket', ['Upgrade: h2c', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==']],
    ['a malformed Sec-WebSocket-Key', ['Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: short']],
    ['an unknown Sec-WebSocket-Version', ['Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 99', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==']],
  ])('refuses a handshake with %s with a structured 400', async (_name, lines) => {
    const response = await rawRequest(bridge.port(), [`GET /ws/v1/ui/inspector?uiToken=${bridge.uiToken} HTTP/1.1`, host(), `Origin: ${bridge.origin}`, ...lines]);
    expect(response.status).toBe(400);
    expect(errorOf(response.body).code).toBe('invalid_request');
  });

  it('closes a socket that sends text that is not UTF-8 with 1007, logging no error', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${bridge.port()}/ws/v1/events?sessionToken=${token}`, { headers: { origin: bridge.origin } });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.on('error', () => {});
    socket.send(Buffer.from([0xff, 0xfe]), { binary: false });
    expect(await closed).toBe(1007);
    expect(bridge.logs.filter((line) => (JSON.parse(line) as { level: number }).level >= 50)).toEqual([]);
  });

  // The 100,000-case fuzz run once saw a bare 1006 here: the socket was terminated on ws's error
  // right after ws queued its close frame. A race this test does not reproduce at will; it pins
  // the documented code.
  it.each([
    ['events', () => `/ws/v1/events?sessionToken=${token}`],
    ['inspector', () => `/ws/v1/ui/inspector?uiToken=${bridge.uiToken}`],
  ])('closes the %s socket with 1009 on a frame over 64 KiB, even with more frames behind it', async (_name, path) => {
    const socket = new WebSocket(`ws://127.0.0.1:${bridge.port()}${path()}`, { headers: { origin: bridge.origin } });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.on('error', () => {});
    socket.send('x'.repeat(4 * 1024 * 1024));
    socket.send(Buffer.alloc(0), { binary: true });
    expect(await closed).toBe(1009);
  });
});
