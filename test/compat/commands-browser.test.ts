import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from '../ui/support/chromium.js';
import { startCompatBridge, type CompatBridge } from './support.js';

/*
 * The web app in a real Chromium page: browsers open about six HTTP/1.1 connections per origin,
 * so ten executes held for the user's decision would starve the request that answers them. The
 * bridge holds a few per session (the cap) and answers the rest at once; the page answers every
 * prompt over its event socket, which no HTTP connection limit touches.
 */

/** The page: hand-shake, open the event socket, fire 10 executes at once, answer the prompts on the socket. */
const PAGE = (bridgeUrl: string) => `<!doctype html><meta charset="utf-8"><title>web app</title><script type="module">
const bridge = ${JSON.stringify(bridgeUrl)};
const handshake = await (await fetch(bridge + '/api/v1/session/handshake', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ clientName: 'compat page' }) })).json();
const headers = { 'content-type': 'application/json', 'x-osloop-bridge-token': handshake.sessionToken };
const finals = new Map();
const answered = [];
const prompts = [];
let answering = false;
const socket = new WebSocket(bridge.replace('http', 'ws') + '/ws/v1/events?sessionToken=' + handshake.sessionToken);
await new Promise((ready) => socket.addEventListener('message', function onReady(event) {
  if (JSON.parse(event.data).type === 'ready') { socket.removeEventListener('message', onReady); ready(); }
}));
socket.addEventListener('message', (event) => {
  const frame = JSON.parse(event.data);
  // Answered only once all ten prompts exist, i.e. once every request reached the bridge: if held
  // requests took every connection, the last ones would never be sent and this would never happen.
  if (frame.type === 'permission.prompt.created') prompts.push(frame.data.promptId);
  if (prompts.length === 10 && !answering) {
    answering = true;
    for (const promptId of prompts) socket.send(JSON.stringify({ type: 'prompt.resolve', id: promptId, promptId, decision: 'allow_once' }));
  }
  if (frame.type === 'prompt.resolve.result') answered.push(frame);
  if (frame.type === 'bridge.job.updated' && ['completed', 'failed', 'terminated'].includes(frame.data.status)) finals.set(frame.data.runId, frame.data.status);
});
const replies = await Promise.all(Array.from({ length: 10 }, (_, i) =>
  fetch(bridge + '/api/v1/system/commands/execute', { method: 'POST', headers, body: JSON.stringify({ command: 'echo', args: ['job ' + i], reason: 'ten at once', requestId: 'req-page-' + i }) })
    .then(async (response) => ({ status: response.status, body: await response.json() }))));
const until = (check) => new Promise((done) => { const poll = () => (check() ? done() : setTimeout(poll, 20)); poll(); });
await until(() => replies.every((reply) => finals.has(reply.body.runId)));
window.result = { replies, finals: Object.fromEntries(finals), answered };
</script>`;

describe.runIf(chromiumAvailable('compat: held executes in a real browser'))('web app contract: held requests in a browser', () => {
  let compat: CompatBridge;
  let server: http.Server;
  let browser: Browser;
  let pageOrigin: string;

  beforeAll(async () => {
    server = http.createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end(PAGE(compat.bridge.baseUrl));
    });
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    pageOrigin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // The user let the web app answer its own prompts (the Settings page's choice).
    compat = await startCompatBridge({ config: { allowedOrigins: [pageOrigin], approvals: { localOnly: false } } });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await compat?.dispose();
    await new Promise((closed) => server?.close(closed));
  });

  it('fires 10 prompted executes at once and answers them over the event socket: all complete, none starved', async () => {
    const page = await browser.newPage();
    await page.goto(pageOrigin);
    await page.waitForFunction(() => (window as unknown as { result?: unknown }).result !== undefined, undefined, { timeout: 60_000 });
    const result = (await page.evaluate(() => (window as unknown as { result: unknown }).result)) as {
      replies: Array<{ status: number; body: { accepted: boolean; runId: string; held: boolean; heldLimitReached: boolean; decision: { source: string } } }>;
      finals: Record<string, string>;
      answered: Array<{ ok: boolean }>;
    };
    expect(result.replies.map((r) => [r.status, r.body.accepted])).toEqual(Array.from({ length: 10 }, () => [202, true]));
    // The cap (4 per session) held some until the answer; the rest were answered at once, and said so.
    const held = result.replies.filter((r) => r.body.held);
    expect(held).toHaveLength(4);
    expect(held.every((r) => r.body.decision.source === 'user')).toBe(true);
    expect(result.replies.filter((r) => r.body.heldLimitReached)).toHaveLength(6);
    expect(new Set(result.replies.map((r) => r.body.runId)).size).toBe(10);
    expect(Object.values(result.finals)).toEqual(Array.from({ length: 10 }, () => 'completed'));
    expect(result.answered).toHaveLength(10);
    expect(result.answered.every((frame) => frame.ok)).toBe(true);
  });
});
