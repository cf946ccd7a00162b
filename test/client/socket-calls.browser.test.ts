import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createBridgeClient } from '../../src/client/index.js';
import { startMcpE2e, type McpE2e } from '../e2e/mcp-support.js';
import { EVERYTHING_ENTRY } from '../fixtures/mcp/everything.js';
import { chromiumAvailable, launchChromium } from '../ui/support/chromium.js';

/*
 * `callsOverSocket` in a real Chromium page: the typed client bundled for browsers (no Node
 * modules), its socket the browser's own WebSocket (which sends the page's Origin itself and hides
 * a refused upgrade's status), against a real bridge and server-everything over stdio. The page
 * records every HTTP path it sends, so the test can tell which calls went over the socket.
 */

const CLIENT_ENTRY = path.resolve(import.meta.dirname, '../../src/client/index.ts');
const node = process.execPath;
const RESOURCE_URI = 'demo://resource/static/document/architecture.md';

/** The page: a typed client with calls over the socket, driven from the test through `window.bridge`. */
const PAGE = (bridgeUrl: string) => `<!doctype html><meta charset="utf-8"><title>web app</title><script type="module">
import { createBridgeClient, BridgeClientError } from '/client.js';
const httpPaths = [];
const httpReplies = [];
const client = createBridgeClient({
  baseUrl: ${JSON.stringify(bridgeUrl)},
  clientName: 'browser socket calls',
  callsOverSocket: true,
  fetch: (input, init) => {
    const path = new URL(String(input)).pathname;
    httpPaths.push(path);
    return fetch(input, init).then((response) => { httpReplies.push(path + ' ' + response.status); return response; });
  },
});
const refusal = (error) => error instanceof BridgeClientError ? { status: error.status, code: error.code } : { thrown: String(error) };
window.bridge = {
  httpPaths,
  httpReplies,
  handshake: () => client.handshake().then((session) => session.sessionId),
  sessionId: () => client.session?.sessionId ?? null,
  echo: (serverId, message) => client.api.mcpCall({ body: { serverId, tool: 'echo', arguments: { message } } }).then((r) => r.content, refusal),
  read: (serverId, uri) => client.api.mcpResourcesRead({ body: { serverId, uri } }).then((r) => r.contents.map((c) => c.uri), refusal),
  call: (body) => client.api.mcpCall({ body }).then((r) => r.content, refusal),
};
window.ready = true;
</script>`;

const mcpHttpPaths = (paths: string[]) => paths.filter((p) => p.startsWith('/api/v1/mcp/call') || p.startsWith('/api/v1/mcp/resources/read'));

describe.runIf(chromiumAvailable('typed client calls over the socket in a browser'))('typed client calls over the socket, in Chromium', () => {
  let e2e: McpE2e;
  let server: http.Server;
  let browser: Browser;
  let page: Page;
  let serverId: string;

  beforeAll(async () => {
    const bundle = await build({ entryPoints: [CLIENT_ENTRY], bundle: true, format: 'esm', platform: 'browser', write: false, target: 'es2022' });
    const clientJs = bundle.outputFiles[0]!.text;
    server = http.createServer((request, response) => {
      if (request.url === '/client.js') {
        response.writeHead(200, { 'content-type': 'text/javascript' });
        return response.end(clientJs);
      }
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end(PAGE(e2e.bridge.baseUrl));
    });
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    const pageOrigin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    e2e = await startMcpE2e({ allowedOrigins: [pageOrigin] });
    // The server is the page's web app's own: another origin's would be 404 to it.
    const registrant = createBridgeClient({ baseUrl: e2e.bridge.baseUrl, origin: pageOrigin, clientName: 'the page\'s web app' });
    await registrant.handshake();
    const { api } = registrant;
    ({ serverId } = await api.mcpServersRegister({ body: { name: 'everything', transport: { type: 'stdio', command: node, args: [EVERYTHING_ENTRY, 'stdio'], template: { command: node, args: [EVERYTHING_ENTRY, 'stdio'] } } } }));
    const { promptId } = await api.mcpServersConnect({ params: { serverId } });
    await api.systemPermissionsPromptsResolve({ params: { requestId: promptId! }, body: { decision: 'allow_once' } });
    await vi.waitFor(async () => expect((await api.mcpServersList()).servers[0]?.state).toBe('connected'), { timeout: 45_000, interval: 50 });
    registrant.close();
    browser = await launchChromium();
    page = await browser.newPage();
    await page.goto(pageOrigin);
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true, undefined, { timeout: 30_000 });
    await page.evaluate(() => (window as unknown as { bridge: { handshake(): Promise<string> } }).bridge.handshake());
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await e2e?.close();
    await new Promise((closed) => server?.close(closed));
  });

  type PageBridge = {
    httpPaths: string[];
    httpReplies: string[];
    sessionId(): string | null;
    echo(serverId: string, message: string): Promise<unknown>;
    read(serverId: string, uri: string): Promise<unknown>;
    call(body: unknown): Promise<unknown>;
  };
  /** Runs `run` in the page with its `window.bridge` (Playwright sends the function's source). */
  const inPage = <T>(run: (arg: { serverId: string; uri: string }) => T | Promise<T>): Promise<T> => page.evaluate(run, { serverId, uri: RESOURCE_URI });

  it('calls a tool and reads a resource from the page, with no HTTP request for either', async () => {
    const result = await inPage(async ({ serverId, uri }) => {
      const bridge = (window as unknown as { bridge: PageBridge }).bridge;
      return { echo: await bridge.echo(serverId, 'from the page'), read: await bridge.read(serverId, uri), paths: [...bridge.httpPaths] };
    });
    expect(result.echo).toEqual([{ type: 'text', text: 'Echo: from the page' }]);
    expect(result.read).toEqual([RESOURCE_URI]);
    expect(mcpHttpPaths(result.paths)).toEqual([]);
  });

  it('answers twenty calls sent at once, each with its own result, and refuses bad ones as HTTP would', async () => {
    const result = await inPage(async ({ serverId }) => {
      const bridge = (window as unknown as { bridge: PageBridge }).bridge;
      return {
      echoes: await Promise.all(Array.from({ length: 20 }, (_, i) => bridge.echo(serverId, `m${i}`))),
      unknownServer: await bridge.call({ serverId: 'mcp_nosuchserver', tool: 'echo', arguments: {} }),
      badBody: await bridge.call({ serverId, tool: '', arguments: {} }),
      paths: [...bridge.httpPaths],
      };
    });
    expect(result.echoes).toEqual(Array.from({ length: 20 }, (_, i) => [{ type: 'text', text: `Echo: m${i}` }]));
    expect(result.unknownServer).toEqual({ status: 404, code: 'not_found' });
    expect(result.badBody).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(mcpHttpPaths(result.paths)).toEqual([]);
  });

  it('hands-shake again and goes on when the user revokes its session, though the browser hides why the socket closed', async () => {
    const revoked = await inPage(() => (window as unknown as { bridge: PageBridge }).bridge.sessionId());
    expect(revoked).toMatch(/\S/);
    const ui = createBridgeClient({ baseUrl: e2e.bridge.baseUrl, uiToken: e2e.bridge.uiToken, clientName: 'ui' });
    try {
      await ui.api.uiSessionsRevoke({ params: { sessionId: revoked! } });
    } finally {
      ui.close();
    }
    const result = await inPage(async ({ serverId }) => {
      const bridge = (window as unknown as { bridge: PageBridge }).bridge;
      const again = await bridge.echo(serverId, 'again');
      const afterRevoke = [...bridge.httpPaths];
      return { again, sessionId: bridge.sessionId(), afterRevoke, replies: [...bridge.httpReplies], next: await bridge.echo(serverId, 'next'), paths: [...bridge.httpPaths] };
    });
    expect(result.again).toEqual([{ type: 'text', text: 'Echo: again' }]);
    expect(result.sessionId).not.toBe(revoked);
    // Either the call reached the old socket before the browser saw it closed (refused there:
    // the session ended) or a new socket with the revoked token was refused at its upgrade, whose
    // 401 the browser hides (a bare 1006), and the call asked HTTP, which said 401. Nothing ran
    // with the revoked session; the client hand-shook again and sent the call on a new socket.
    expect(result.replies.filter((r) => r.startsWith('/api/v1/mcp/'))).toEqual(mcpHttpPaths(result.afterRevoke).map((p) => `${p} 401`));
    expect(mcpHttpPaths(result.afterRevoke).length).toBeLessThanOrEqual(1);
    expect(result.afterRevoke.filter((p) => p === '/api/v1/session/handshake')).toHaveLength(2);
    // The next call stays on that socket.
    expect(result.next).toEqual([{ type: 'text', text: 'Echo: next' }]);
    expect(result.paths).toEqual(result.afterRevoke);
  });
});
