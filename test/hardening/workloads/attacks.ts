import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { watch } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { ROUTES } from '../../../src/contract/routes/index.js';
import { hashToken } from '../../../src/services/session/token.js';
import {
  EVIL,
  OTHER_APP,
  WEB_APP,
  WS_PATHS,
  countRouteDispatches,
  rawExchange,
  routeCases,
  send,
  upgrade,
  type AttackBridge,
  type Reply,
} from './attacks-support.js';

/** What the test runs (`ci`) and what `npm run reliability -- attacks` runs (`full`, about ten times more). */
export const ATTACK_SIZES = {
  ci: { wrongTokens: 3_000, raceWrites: 2_000, smugglingRounds: 1 },
  full: { wrongTokens: 30_000, raceWrites: 20_000, smugglingRounds: 10 },
} as const;

/** One class of attack: how many attempts, how many were not refused or reached a route. */
export interface AttackResult {
  name: string;
  attempts: number;
  gotThrough: number;
  /** The first few attempts that got through, described. */
  failures: string[];
}

interface Attempt {
  label: string;
  /** Sends the attack; returns why it counts as got-through, or null when it was refused. */
  run(): Promise<string | null>;
  /** The route may legitimately be reached (e.g. a resolve refused by its service): skip the dispatch check. */
  mayDispatch?: boolean;
}

/** Runs attempts one by one, so each route dispatch can be pinned on the attempt that caused it. */
async function runAttempts(a: AttackBridge, name: string, attempts: Attempt[]): Promise<AttackResult> {
  const dispatches = countRouteDispatches(a.bridge);
  const failures: string[] = [];
  let gotThrough = 0;
  try {
    for (const attempt of attempts) {
      const before = dispatches.count;
      const why = await attempt.run().catch((error: unknown) => `client error ${(error as Error).message}`);
      const reached = attempt.mayDispatch ? [] : dispatches.routes.slice(before);
      if (why !== null || reached.length > 0) {
        gotThrough++;
        if (failures.length < 10) failures.push(`${attempt.label}: ${why ?? `reached ${reached.join(', ')}`}`);
      }
    }
  } finally {
    dispatches.stop();
  }
  return { name, attempts: attempts.length, gotThrough, failures };
}

const expectRefusal = (reply: Pick<Reply, 'status' | 'code' | 'headers'>, allowed: Array<[number, string]>): string | null => {
  if (!allowed.some(([status, code]) => reply.status === status && reply.code === code)) return `answered ${reply.status} ${reply.code ?? ''}`;
  if (reply.headers['access-control-allow-origin'] !== undefined) return `sent access-control-allow-origin ${String(reply.headers['access-control-allow-origin'])}`;
  return null;
};

/** Hosts a DNS-rebinding page (or a confused client) may send; none is this bridge's exact name. */
export function rebindingHosts(port: number): Array<[string, 400 | 403]> {
  return [
    ['evil.example', 403],
    [`evil.example:${port}`, 403],
    [`localhost.evil.example:${port}`, 403],
    [`127.0.0.1.nip.io:${port}`, 403],
    [`localhost.:${port}`, 403],
    [`127.0.0.2:${port}`, 403],
    [`0.0.0.0:${port}`, 403],
    [`2130706433:${port}`, 403],
    [`127.0.0.1:${port === 65535 ? 1 : port + 1}`, 403],
    ['127.0.0.1', 403],
    [`[::]:${port}`, 403],
    [`[::ffff:127.0.0.1]:${port}`, 403],
    [`[fe80::1]:${port}`, 403],
    [`[2001:db8::1]:${port}`, 403],
    [`[0:0:0:0:0:0:0:1]:${port}`, 403],
    [`127.0.0.1:${port}@evil.example`, 400],
    [`[::1%eth0]:${port}`, 400],
    [`evil.example/127.0.0.1:${port}`, 400],
  ];
}

/** Every route and both WebSocket paths, from every rebinding host, with the UI token in hand. */
export async function rebindingAttack(a: AttackBridge): Promise<AttackResult> {
  const attempts: Attempt[] = [];
  const ui = a.bridge.uiToken;
  for (const [host, status] of rebindingHosts(a.port)) {
    const allowed: Array<[number, string]> = [[status, status === 403 ? 'forbidden_host' : 'invalid_request']];
    for (const c of routeCases(a.target)) {
      const headers: Record<string, string> = { host, 'x-osloop-ui-token': ui, ...(c.body !== undefined || c.method !== 'GET' ? { 'content-type': 'application/json' } : {}) };
      attempts.push({ label: `${c.method} ${c.path} Host: ${host}`, run: async () => expectRefusal(await send(a.port, c.method, c.path, headers, c.body, a.agent), allowed) });
    }
    for (const ws of WS_PATHS) {
      const query = ws.auth === 'ui' ? `uiToken=${ui}` : `sessionToken=${a.webApp.token}`;
      attempts.push({
        label: `upgrade ${ws.path} Host: ${host}`,
        run: async () => {
          const outcome = await upgrade(a.port, `${ws.path}?${query}`, { host, origin: `http://${host}` });
          return outcome.upgraded ? 'upgraded' : expectRefusal(outcome, allowed);
        },
      });
    }
  }
  return runAttempts(a, 'DNS rebinding (foreign Host)', attempts);
}

/** Origins that are not the allowed one, some of them close to it. */
export const FOREIGN_ORIGINS = [EVIL, 'null', `${WEB_APP}.evil.example`, `${WEB_APP}:443`, WEB_APP.replace('https:', 'http:'), `${WEB_APP}/`, 'https://app.osloop.example@evil.example'];

/** Every route (and its preflight) and both WebSocket paths from a foreign page holding stolen tokens. */
export async function foreignOriginAttack(a: AttackBridge): Promise<AttackResult> {
  const attempts: Attempt[] = [];
  const allowed: Array<[number, string]> = [[403, 'forbidden_origin']];
  const stolen = { 'x-osloop-bridge-token': a.webApp.token, 'x-osloop-ui-token': a.bridge.uiToken };
  for (const origin of FOREIGN_ORIGINS) {
    for (const c of routeCases(a.target)) {
      const headers: Record<string, string> = { host: a.host, origin, ...stolen, ...(c.method !== 'GET' ? { 'content-type': 'application/json' } : {}) };
      attempts.push({ label: `${c.method} ${c.path} Origin: ${origin}`, run: async () => expectRefusal(await send(a.port, c.method, c.path, headers, c.body, a.agent), allowed) });
      attempts.push({
        label: `preflight ${c.path} Origin: ${origin}`,
        run: async () => {
          const reply = await send(a.port, 'OPTIONS', c.path, { host: a.host, origin, 'access-control-request-method': c.method, 'access-control-request-headers': 'content-type, x-osloop-bridge-token' }, undefined, a.agent);
          return expectRefusal(reply, allowed) ?? (reply.headers['access-control-allow-methods'] ? 'sent access-control-allow-methods' : null);
        },
      });
    }
    for (const ws of WS_PATHS) {
      for (const query of [`sessionToken=${a.webApp.token}`, `uiToken=${a.bridge.uiToken}`]) {
        attempts.push({
          label: `upgrade ${ws.path}?${query.split('=')[0]} Origin: ${origin}`,
          run: async () => {
            const outcome = await upgrade(a.port, `${ws.path}?${query}`, { host: a.host, origin });
            return outcome.upgraded ? 'upgraded' : expectRefusal(outcome, allowed);
          },
        });
      }
    }
  }
  return runAttempts(a, 'Foreign Origin (with stolen tokens)', attempts);
}

/** Bodies a page can send without a preflight: the JSON itself as text/plain, a form, a multipart form. */
function simpleBodies(json: string | undefined): Array<[string, string]> {
  const boundary = 'atkboundary';
  return [
    ['text/plain', json ?? '{}'],
    ['text/plain;charset=UTF-8', json ?? '{}'],
    ['application/x-www-form-urlencoded', `payload=${encodeURIComponent(json ?? '{}')}`],
    [`multipart/form-data; boundary=${boundary}`, `--${boundary}\r\nContent-Disposition: form-data; name="payload"\r\n\r\n${json ?? '{}'}\r\n--${boundary}--\r\n`],
  ];
}

/**
 * CSRF-style simple requests on every POST, PATCH and DELETE route: no preflight, so the only
 * defence is refusing a body that is not application/json (and a foreign Origin). Sent even
 * with a valid token, which a real CSRF page would not have. Also a GET with the token in its
 * query string, as an `<img>` tag would send it.
 */
export async function csrfAttack(a: AttackBridge): Promise<AttackResult> {
  const attempts: Attempt[] = [];
  const modes: Array<[string, Record<string, string>, Array<[number, string]>]> = [
    ['from the allowed origin with its token', { origin: WEB_APP, 'x-osloop-bridge-token': a.webApp.token }, [[415, 'unsupported_media_type']]],
    ['with no Origin and the UI token', { 'x-osloop-ui-token': a.bridge.uiToken }, [[415, 'unsupported_media_type']]],
    ['with no Origin and no token', {}, [[415, 'unsupported_media_type']]],
    ['from a foreign origin', { origin: EVIL }, [[403, 'forbidden_origin']]],
  ];
  for (const c of routeCases(a.target)) {
    if (c.method === 'GET') {
      if (c.route.auth === 'none') continue;
      const separator = c.path.includes('?') ? '&' : '?';
      for (const query of [`sessionToken=${a.webApp.token}`, `uiToken=${a.bridge.uiToken}`]) {
        attempts.push({
          label: `GET ${c.path} with ${query.split('=')[0]} in the query`,
          // A cross-site <img> or <script> GET carries no Origin.
          run: async () => expectRefusal(await send(a.port, 'GET', `${c.path}${separator}${query}`, { host: a.host }, undefined, a.agent), [[401, 'unauthorized']]),
        });
      }
      continue;
    }
    for (const [contentType, body] of simpleBodies(c.body)) {
      for (const [modeName, headers, allowed] of modes) {
        attempts.push({
          label: `${c.method} ${c.path} as ${contentType} ${modeName}`,
          run: async () => {
            const reply = await send(a.port, c.method, c.path, { host: a.host, 'content-type': contentType, ...headers }, body, a.agent);
            // A refused simple request from the allowed origin may carry ACAO (the page cannot act on a 415).
            return expectRefusal({ ...reply, headers: headers.origin === WEB_APP ? {} : reply.headers }, allowed);
          },
        });
      }
    }
    // A body with no Content-Type at all (a bodyless request needs none: its token header forces a preflight).
    attempts.push({
      label: `${c.method} ${c.path} with a body and no Content-Type at all`,
      run: async () => expectRefusal(await send(a.port, c.method, c.path, { host: a.host, 'x-osloop-ui-token': a.bridge.uiToken }, c.body ?? '{}', a.agent), [[415, 'unsupported_media_type']]),
    });
  }
  return runAttempts(a, 'CSRF simple requests', attempts);
}

export interface TokenFloodResult extends AttackResult {
  wrongTokens: number;
  wrongPerSecond: number;
  /** The legitimate session alone, sequential on one connection. */
  legitBaselinePerSecond: number;
  /** The same, while 16 connections send wrong tokens. */
  legitDuringFloodPerSecond: number;
  /** The same, while 16 connections send the *right* token: the cost of plain load, for comparison. */
  legitDuringValidFloodPerSecond: number;
  validPerSecond: number;
  legitDuringFlood: number;
  /** Legit requests that did not get 200 during or after the flood. */
  legitFailures: number;
  legitAfterFloodStatus: number;
}

/** One flood request: the header and token sent, and the replies (status, error code) that are right. */
interface FloodRequest {
  header: string;
  token: string;
  expected: Array<[number, string | null]>;
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Wrong session tokens, from wild to almost right: random, prefixes, one character off, case-flipped, hashes, another origin's. */
export function wrongTokens(real: string, uiToken: string, count: number): FloodRequest[] {
  const invalid: Array<[number, string]> = [[401, 'unauthorized']];
  const base: FloodRequest[] = [];
  for (let k = 1; k < real.length; k++) base.push({ header: 'x-osloop-bridge-token', token: real.slice(0, k), expected: invalid });
  for (let i = 0; i < real.length; i++) {
    for (const shift of [1, 7, 32]) {
      const changed = B64URL[(B64URL.indexOf(real[i]!) + shift) % B64URL.length]!;
      base.push({ header: 'x-osloop-bridge-token', token: `${real.slice(0, i)}${changed}${real.slice(i + 1)}`, expected: invalid });
    }
  }
  for (let i = 0; i < uiToken.length; i++) {
    const changed = B64URL[(B64URL.indexOf(uiToken[i]!) + 1) % B64URL.length]!;
    base.push({ header: 'x-osloop-ui-token', token: `${uiToken.slice(0, i)}${changed}${uiToken.slice(i + 1)}`, expected: invalid });
  }
  base.push({ header: 'x-osloop-bridge-token', token: real.toUpperCase(), expected: invalid });
  base.push({ header: 'x-osloop-bridge-token', token: `${real}A`, expected: invalid });
  base.push({ header: 'x-osloop-bridge-token', token: hashToken(real), expected: invalid });
  base.push({ header: 'x-osloop-bridge-token', token: uiToken, expected: invalid });
  const out = base.slice(0, count);
  while (out.length < count) out.push({ header: 'x-osloop-bridge-token', token: randomBytes(32).toString('base64url'), expected: invalid });
  return out;
}

/**
 * Thousands of wrong tokens on keep-alive connections, while the legitimate session keeps
 * calling: every wrong one must be refused, every legitimate one answered 200 (no lock-out, no
 * 429: only the handshake is rate-limited). Also times the legitimate calls alone, then under
 * the flood, for the report (never asserted).
 */
export async function tokenFlood(a: AttackBridge, count: number, options: { concurrency?: number; validFlood?: boolean } = {}): Promise<TokenFloodResult> {
  const concurrency = options.concurrency ?? 16;
  const tokens = wrongTokens(a.webApp.token, a.bridge.uiToken, count);
  // A token stolen from the other allowed app, replayed from this one: refused as the wrong origin.
  for (let i = 0; i < Math.min(50, count); i++) tokens[tokens.length - 1 - i] = { header: 'x-osloop-bridge-token', token: a.otherApp.token, expected: [[403, 'forbidden_origin']] };
  const floodAgent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const legitAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const legitCall = () => send(a.port, 'GET', '/api/v1/bridge/info', { host: a.host, origin: WEB_APP, 'x-osloop-bridge-token': a.webApp.token }, undefined, legitAgent);
  let legitFailures = 0;
  const failures: string[] = [];

  /** Sends `list` on `concurrency` connections while the legitimate session calls in a loop. */
  const flood = async (list: typeof tokens) => {
    let next = 0;
    let gotThrough = 0;
    let flooding = true;
    let legitCount = 0;
    const started = performance.now();
    const workers = Array.from({ length: concurrency }, async () => {
      while (next < list.length) {
        const { header, token, expected } = list[next++]!;
        const reply = await send(a.port, 'GET', '/api/v1/bridge/info', { host: a.host, origin: WEB_APP, [header]: token }, undefined, floodAgent);
        if (!expected.some(([status, code]) => reply.status === status && reply.code === code)) {
          gotThrough++;
          if (failures.length < 10) failures.push(`${header} ${token.slice(0, 12)}…: ${reply.status} ${reply.code ?? ''}`);
        }
      }
    });
    const legit = (async () => {
      while (flooding) {
        const reply = await legitCall();
        legitCount++;
        if (reply.status !== 200) {
          legitFailures++;
          if (failures.length < 10) failures.push(`legit call during the flood: ${reply.status} ${reply.code ?? ''}`);
        }
      }
    })();
    await Promise.all(workers);
    const seconds = (performance.now() - started) / 1000;
    flooding = false;
    await legit;
    return { seconds, gotThrough, legitCount };
  };

  try {
    const baselineCount = Math.max(100, Math.round(count / 20));
    const baselineStart = performance.now();
    for (let i = 0; i < baselineCount; i++) if ((await legitCall()).status !== 200) legitFailures++;
    const legitBaselinePerSecond = baselineCount / ((performance.now() - baselineStart) / 1000);

    const validCount = Math.max(200, Math.round(count / 3));
    // The same flood with the right token: what plain load costs the legitimate session (report only).
    const valid = options.validFlood === false ? { seconds: 0, gotThrough: 0, legitCount: 0 } : await flood(Array.from({ length: validCount }, () => ({ header: 'x-osloop-bridge-token', token: a.webApp.token, expected: [[200, null]] })));
    const wrong = await flood(tokens);
    const after = await legitCall();
    if (after.status !== 200) legitFailures++;
    return {
      name: 'Token guessing',
      attempts: tokens.length,
      gotThrough: wrong.gotThrough,
      failures,
      wrongTokens: tokens.length,
      wrongPerSecond: tokens.length / wrong.seconds,
      legitBaselinePerSecond,
      legitDuringFloodPerSecond: wrong.legitCount / wrong.seconds,
      legitDuringValidFloodPerSecond: valid.seconds > 0 ? valid.legitCount / valid.seconds : 0,
      validPerSecond: valid.seconds > 0 ? validCount / valid.seconds : 0,
      legitDuringFlood: wrong.legitCount,
      legitFailures: legitFailures + valid.gotThrough,
      legitAfterFloodStatus: after.status,
    };
  } finally {
    floodAgent.destroy();
    legitAgent.destroy();
  }
}

/**
 * Ambiguous framing and headers. Each case wraps a request that would register an MCP server
 * (a side effect) with the real token; none may reach a route, and the bridge must go on
 * serving. Node's parser refuses most of these itself with a bare 400 and closes the socket.
 */
export function smugglingCases(a: AttackBridge): Array<{ label: string; text: string }> {
  const host = `Host: ${a.host}\r\n`;
  const auth = `Origin: ${WEB_APP}\r\nX-OSLOOP-BRIDGE-TOKEN: ${a.webApp.token}\r\n`;
  const json = 'Content-Type: application/json\r\n';
  const body = (name: string) => JSON.stringify({ name, transport: { type: 'streamable-http', url: 'http://127.0.0.1:9/mcp' } });
  const register = (name: string) => `POST /api/v1/mcp/servers HTTP/1.1\r\n${host}${auth}${json}Content-Length: ${body(name).length}\r\n\r\n${body(name)}`;
  const b = body('smuggled');
  const hidden = register('hidden');
  const tail = `GET /api/v1/openapi.json HTTP/1.1\r\n${host}Connection: close\r\n\r\n`;
  const post = 'POST /api/v1/mcp/servers HTTP/1.1\r\n';
  return [
    { label: 'Content-Length with Transfer-Encoding: chunked', text: `${post}${host}${auth}${json}Content-Length: ${b.length}\r\nTransfer-Encoding: chunked\r\n\r\n${b.length.toString(16)}\r\n${b}\r\n0\r\n\r\n` },
    { label: 'Transfer-Encoding: chunked with Content-Length', text: `${post}${host}${auth}${json}Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n${b.length.toString(16)}\r\n${b}\r\n0\r\n\r\n` },
    { label: 'two differing Content-Lengths', text: `${post}${host}${auth}${json}Content-Length: ${b.length}\r\nContent-Length: 5\r\n\r\n${b}` },
    { label: 'two equal Content-Lengths', text: `${post}${host}${auth}${json}Content-Length: ${b.length}\r\nContent-Length: ${b.length}\r\n\r\n${b}` },
    { label: 'two Transfer-Encodings', text: `${post}${host}${auth}${json}Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n${b.length.toString(16)}\r\n${b}\r\n0\r\n\r\n` },
    { label: 'Transfer-Encoding: chunked twice in one line', text: `${post}${host}${auth}${json}Transfer-Encoding: chunked, chunked\r\n\r\n${b.length.toString(16)}\r\n${b}\r\n0\r\n\r\n` },
    { label: 'an obfuscated Transfer-Encoding', text: `${post}${host}${auth}${json}Transfer-Encoding: xchunked\r\nContent-Length: ${b.length}\r\n\r\n${b}` },
    { label: 'a space before the colon', text: `${post}${host}${auth}${json}Transfer-Encoding : chunked\r\nContent-Length: ${b.length}\r\n\r\n${b}` },
    { label: 'a signed Content-Length', text: `${post}${host}${auth}${json}Content-Length: +${b.length}\r\n\r\n${b}` },
    { label: 'a duplicated session token header', text: `${post}${host}${auth}X-OSLOOP-BRIDGE-TOKEN: ${a.webApp.token}\r\n${json}Content-Length: ${b.length}\r\n\r\n${b}` },
    { label: 'a second, wrong session token header', text: `${post}${host}${auth}X-OSLOOP-BRIDGE-TOKEN: wrong\r\n${json}Content-Length: ${b.length}\r\n\r\n${b}` },
    { label: 'a duplicated UI token header', text: `${post}${host}X-OSLOOP-UI-TOKEN: ${a.bridge.uiToken}\r\nX-OSLOOP-UI-TOKEN: ${a.bridge.uiToken}\r\n${json}Content-Length: ${b.length}\r\n\r\n${b}` },
    { label: 'a duplicated Content-Type, JSON first', text: `${post}${host}${auth}${json}Content-Type: text/plain\r\nContent-Length: ${b.length}\r\n\r\n${b}` },
    { label: 'a duplicated Content-Type, text/plain first', text: `${post}${host}${auth}Content-Type: text/plain\r\n${json}Content-Length: ${b.length}\r\n\r\n${b}` },
    { label: 'an obs-fold continuation line', text: `${post}${host}${auth}${json}X-Filler: a\r\n b\r\nContent-Length: ${b.length}\r\n\r\n${b}` },
    { label: 'a token split by obs-fold', text: `${post}${host}Origin: ${WEB_APP}\r\nX-OSLOOP-BRIDGE-TOKEN: ${a.webApp.token.slice(0, 20)}\r\n ${a.webApp.token.slice(20)}\r\n${json}Content-Length: ${b.length}\r\n\r\n${b}` },
    { label: 'a NUL in a header value', text: `${post}${host}${auth}${json}X-Filler: a\u0000b\r\nContent-Length: ${b.length}\r\n\r\n${b}` },
    { label: 'a bare CR in a header value', text: `${post}${host}${auth}${json}X-Filler: a\rContent-Length: 0\r\nContent-Length: ${b.length}\r\n\r\n${b}` },
    { label: 'bare LF line endings', text: `${post}${host}${auth}${json}Content-Length: ${b.length}\r\n\r\n${b}`.replace(/\r\n/g, '\n') },
    { label: 'CL.TE: a chunked terminator, then a request as "body"', text: `POST /api/v1/session/handshake HTTP/1.1\r\n${host}Origin: ${WEB_APP}\r\n${json}Content-Length: ${5 + hidden.length}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${hidden}` },
    { label: 'a request hidden in the body of a text/plain POST', text: `${post}${host}${auth}Content-Type: text/plain\r\nContent-Length: ${hidden.length}\r\n\r\n${hidden}${tail}` },
    { label: 'a request hidden in the body of a wrong-token POST', text: `${post}${host}Origin: ${WEB_APP}\r\nX-OSLOOP-BRIDGE-TOKEN: wrong\r\n${json}Content-Length: ${hidden.length}\r\n\r\n${hidden}${tail}` },
    { label: 'a request hidden in the body of a foreign-Host POST', text: `${post}Host: evil.example\r\n${json}Content-Length: ${hidden.length}\r\n\r\n${hidden}${tail}` },
    { label: 'a request hidden in a chunked text/plain body', text: `${post}${host}${auth}Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n${hidden.length.toString(16)}\r\n${hidden}\r\n0\r\n\r\n${tail}` },
  ];
}

export interface SmugglingResult extends AttackResult {
  /** Cases the bridge answered with its own structured error (the rest Node's parser refused). */
  structured: number;
  /** Hidden-request cases whose trailing request was still served: the framing held. */
  framingHeld: number;
}

/** Sends every smuggling case on its own connection; none may reach a route or return a 2xx. */
export async function smugglingAttack(a: AttackBridge, rounds = 1): Promise<SmugglingResult> {
  let structured = 0;
  let framingHeld = 0;
  const attempts: Attempt[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const { label, text } of smugglingCases(a)) {
      attempts.push({
        label,
        run: async () => {
          // A refused request on a kept-alive socket is one response; a hidden one plus its tail, two.
          const exchange = await rawExchange(a.port, text, { responses: text.includes('openapi.json') ? 2 : 1 });
          const first = exchange.responses[0];
          if (!first) return exchange.closedByServer ? null : 'no answer and the socket stayed open';
          const accepted = exchange.responses.find((r) => r.status < 400 && !r.body.includes('"openapi"'));
          if (accepted) return `answered ${accepted.status}`;
          if (first.code) structured++;
          if (exchange.responses.some((r) => r.body.includes('"openapi"'))) framingHeld++;
          return null;
        },
      });
    }
  }
  const result = await runAttempts(a, 'Request smuggling and duplicate headers', attempts);
  return { ...result, structured: rounds > 0 ? structured / rounds : 0, framingHeld: rounds > 0 ? framingHeld / rounds : 0 };
}

/** A run awaiting its prompt, asked for by the WEB_APP session. */
export async function pendingRun(a: AttackBridge, marker: string): Promise<{ runId: string; promptId: string }> {
  const file = path.join(a.target, marker);
  const body = { command: 'touch', args: [file], reason: 'attack suite' };
  const reply = await send(a.port, 'POST', '/api/v1/system/commands/execute', { host: a.host, ...a.webApp.headers, prefer: 'respond-async' }, JSON.stringify(body));
  const parsed = JSON.parse(reply.body) as { runId: string; promptId: string; state: string };
  if (reply.status !== 202 || parsed.state !== 'awaiting_permission') throw new Error(`execute: ${reply.status} ${reply.body}`);
  return { runId: parsed.runId, promptId: parsed.promptId };
}

/**
 * Principals that may not answer the WEB_APP session's prompt: another allowed app's session,
 * another session of the same app, stolen tokens replayed from a foreign page, and forged prompt
 * ids. With `localOnly`, the requesting session itself.
 */
export async function promptResolutionAttack(a: AttackBridge, promptId: string, runId: string, options: { localOnly: boolean }): Promise<AttackResult> {
  const resolve = (id: string, headers: Record<string, string>, body: unknown = { decision: 'allow_and_whitelist' }) =>
    send(a.port, 'POST', `/api/v1/system/permissions/prompts/${encodeURIComponent(id)}/resolve`, { host: a.host, 'content-type': 'application/json', ...headers }, JSON.stringify(body));
  const attempts: Attempt[] = [];
  const refusedWith = (id: string, headers: Record<string, string>, allowed: Array<[number, string]>, body?: unknown): Attempt => ({
    label: `${id} ${JSON.stringify(Object.keys(headers))} ${headers.origin ?? ''}`,
    mayDispatch: true,
    run: async () => {
      const reply = await resolve(id, headers, body);
      return allowed.some(([status, code]) => reply.status === status && reply.code === code) ? null : `answered ${reply.status} ${reply.code ?? ''}`;
    },
  });
  const sameApp = await handshake(a, WEB_APP);
  const forbidden: Array<[number, string]> = [[403, 'forbidden']];
  const wrongOrigin: Array<[number, string]> = [[403, 'forbidden_origin']];
  if (options.localOnly) {
    attempts.push({ ...refusedWith(promptId, a.webApp.headers, forbidden), label: 'the requesting session itself under approvals.localOnly' });
    attempts.push({ ...refusedWith(promptId, a.webApp.headers, forbidden, { decision: 'allow_once' }), label: 'the requesting session itself under approvals.localOnly, allow_once' });
  }
  // Origins are isolated: another app's session is not even told the prompt exists.
  attempts.push({ ...refusedWith(promptId, a.otherApp.headers, [[404, 'not_found']]), label: 'a session of the other allowed app' });
  attempts.push({ ...refusedWith(promptId, sameApp.headers, forbidden), label: 'another session of the same app' });
  attempts.push({ ...refusedWith(promptId, sameApp.headers, forbidden, { decision: 'reject' }), label: 'another session of the same app, rejecting' });
  attempts.push({ ...refusedWith(promptId, { origin: EVIL, 'x-osloop-ui-token': a.bridge.uiToken }, wrongOrigin), label: 'the UI token from a foreign page' });
  attempts.push({ ...refusedWith(promptId, { ...a.webApp.headers, origin: EVIL }, wrongOrigin), label: 'the requesting session\'s token from a foreign page' });
  attempts.push({ ...refusedWith(promptId, { ...a.webApp.headers, origin: OTHER_APP }, wrongOrigin), label: 'the requesting session\'s token from the other allowed app' });
  attempts.push({ ...refusedWith(promptId, { origin: WEB_APP, 'x-osloop-ui-token': a.webApp.token }, [[401, 'unauthorized']]), label: 'a session token passed as the UI token' });
  attempts.push({ ...refusedWith(promptId, a.webApp.headers, [[400, 'invalid_request']], { decision: 'allow_once', resolvedBy: { kind: 'ui' } }), label: 'a forged resolvedBy field' });
  const notFound: Array<[number, string]> = [[404, 'not_found']];
  const invalid: Array<[number, string]> = [[400, 'invalid_request']];
  const forged: Array<[string, Array<[number, string]>]> = [
    [`prm_${randomBytes(12).toString('hex')}`, notFound],
    [runId, notFound],
    [a.webApp.sessionId, notFound],
    [`${promptId}x`, notFound],
    [promptId.toUpperCase(), notFound],
    [promptId.slice(0, -1), notFound],
    [`${promptId}.x`, invalid],
    ['*', invalid],
    ['>', invalid],
    // Ids up to 128 characters are well-formed (and unknown here); longer ones fail the schema.
    ['x'.repeat(101), notFound],
    ['x'.repeat(129), invalid],
    [`${promptId} `, invalid],
  ];
  for (const [id, allowed] of forged) attempts.push({ ...refusedWith(id, a.webApp.headers, allowed), label: `forged prompt id ${id.slice(0, 40)}` });
  return runAttempts(a, `Prompt resolution by a non-authorised principal${options.localOnly ? ' (localOnly)' : ''}`, attempts);
}

async function handshake(a: AttackBridge, origin: string): Promise<{ headers: Record<string, string> }> {
  const reply = await send(a.port, 'POST', '/api/v1/session/handshake', { host: a.host, origin, 'content-type': 'application/json' }, '{}');
  const token = (JSON.parse(reply.body) as { sessionToken: string }).sessionToken;
  return { headers: { origin, 'content-type': 'application/json', 'x-osloop-bridge-token': token } };
}

/**
 * The web app trying to give itself standing permission: creating a rule directly (no such route),
 * every UI-only route (settings, pickers, prompts…) with its session token, the session token
 * posing as the UI token, and fields smuggled into an execute body.
 */
export async function ruleCreationAttack(a: AttackBridge): Promise<AttackResult> {
  const web = { host: a.host, ...a.webApp.headers };
  const rule = JSON.stringify({ executable: 'touch', args: [], anyFurtherArgs: true, shell: false });
  const attempts: Attempt[] = [];
  const refused = (label: string, method: string, requestPath: string, headers: Record<string, string>, body: string | undefined, allowed: Array<[number, string]>): Attempt => ({
    label,
    run: async () => {
      const reply = await send(a.port, method, requestPath, method === 'GET' ? Object.fromEntries(Object.entries(headers).filter(([k]) => k !== 'content-type')) : headers, body);
      return allowed.some(([status, code]) => reply.status === status && reply.code === code) ? null : `answered ${reply.status} ${reply.code ?? ''}`;
    },
  });
  const notAllowed: Array<[number, string]> = [[405, 'method_not_allowed']];
  attempts.push(refused('POST a rule', 'POST', '/api/v1/system/permissions/commands', web, rule, notAllowed));
  attempts.push(refused('PUT a rule', 'PUT', '/api/v1/system/permissions/commands/rule_1', web, rule, notAllowed));
  attempts.push(refused('PATCH a rule', 'PATCH', '/api/v1/system/permissions/commands/rule_1', web, rule, notAllowed));
  attempts.push(refused('POST the settings', 'POST', '/api/v1/ui/settings', web, '{"approvalsLocalOnly":false}', notAllowed));
  for (const c of routeCases(a.target).filter((route) => route.route.auth === 'ui')) {
    attempts.push(refused(`${c.method} ${c.path} with the web-app token`, c.method, c.path, web, c.body, [[403, 'forbidden']]));
    attempts.push(refused(`${c.method} ${c.path} with the web-app token as the UI token`, c.method, c.path, { host: a.host, origin: WEB_APP, 'content-type': 'application/json', 'x-osloop-ui-token': a.webApp.token }, c.body, [[401, 'unauthorized']]));
  }
  const file = path.join(a.target, 'rule-attack');
  const execute = { command: 'touch', args: [file], reason: 'attack' };
  for (const extra of [{ ruleId: 'rule_1' }, { requestedBy: { kind: 'ui' } }, { whitelistAllowed: true }, { subjectKind: 'command' }, { decision: 'allow_once' }]) {
    attempts.push(refused(`execute with ${Object.keys(extra)[0]}`, 'POST', '/api/v1/system/commands/execute', web, JSON.stringify({ ...execute, ...extra }), [[400, 'invalid_request']]));
  }
  return runAttempts(a, 'Rules and settings created by the web app', attempts);
}

export interface SymlinkRaceResult extends AttackResult {
  writes: number;
  written: number;
  refused: number;
  /** Files or directories that appeared outside the target, as inotify saw them (even if removed since). */
  outsideEvents: number;
  outsideEntriesAfter: number;
  victimChanged: boolean;
  serverErrors: number;
  swaps: number;
}

// A separate process flips target/race between its real directory and a symlink to outside/race,
// and target/filerace/file.txt between a file and a symlink to outside/victim.txt, until killed.
const RACER = `
const fs = require('node:fs');
const [dir, outsideDir, file, victim, stop] = process.argv.slice(1);
let swaps = 0;
const pause = new Int32Array(new SharedArrayBuffer(4));
const tryDo = (f) => { try { f(); } catch {} };
for (;;) {
  if (swaps % 128 === 0 && fs.existsSync(stop)) { fs.writeSync(1, String(swaps)); process.exit(0); }
  tryDo(() => fs.renameSync(dir, dir + '.aside'));
  if (swaps % 2) tryDo(() => fs.symlinkSync(outsideDir, dir));
  else { tryDo(() => fs.symlinkSync(outsideDir, dir + '.link')); tryDo(() => fs.renameSync(dir + '.link', dir)); }
  tryDo(() => fs.unlinkSync(dir));
  tryDo(() => fs.renameSync(dir + '.aside', dir));
  tryDo(() => fs.renameSync(file, file + '.aside'));
  tryDo(() => fs.symlinkSync(victim, file));
  tryDo(() => fs.unlinkSync(file));
  tryDo(() => fs.renameSync(file + '.aside', file));
  swaps++;
  // A short real sleep now and then: the racer must not starve the bridge of the shared cores.
  if (swaps % 32 === 0) Atomics.wait(pause, 0, 0, 1);
}`;

/**
 * Symlink races on writes: while writes to target/race/… and target/filerace/file.txt go through
 * the bridge, a racer swaps the directory (and the file) for symlinks pointing outside the target.
 * Nothing may ever appear outside, and the victim file outside must stay as it was.
 */
export async function symlinkRace(a: AttackBridge, writes: number, concurrency = 8): Promise<SymlinkRaceResult> {
  const dir = path.join(a.target, 'race');
  const outsideDir = path.join(a.outside, 'race');
  const fileDir = path.join(a.target, 'filerace');
  const file = path.join(fileDir, 'file.txt');
  const victim = path.join(a.outside, 'victim.txt');
  await mkdir(dir, { recursive: true });
  await mkdir(outsideDir, { recursive: true });
  await mkdir(fileDir, { recursive: true });
  await writeFile(file, 'inside');
  await writeFile(victim, 'victim');
  const victimBefore = await stat(victim);

  let outsideEvents = 0;
  const seen: string[] = [];
  const onEvent = (where: string) => (_event: string, name: string | Buffer | null) => {
    outsideEvents++;
    if (seen.length < 10) seen.push(`${where}/${String(name)}`);
  };
  const watchers = [watch(outsideDir, onEvent('outside/race')), watch(a.outside, onEvent('outside'))];

  const stopFile = path.join(a.target, '.racer-stop');
  const racer = spawn(process.execPath, ['-e', RACER, dir, outsideDir, file, victim, stopFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  let racerOut = '';
  racer.stdout.on('data', (chunk: Buffer) => (racerOut += chunk.toString()));
  const racerExit = new Promise<void>((resolve) => racer.once('exit', () => resolve()));
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  let written = 0;
  let refused = 0;
  let serverErrors = 0;
  const failures: string[] = [];
  try {
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < writes) {
          const i = next++;
          const kind = i % 4;
          const body =
            kind === 0 ? { path: path.join(dir, `f${i}.txt`), content: `write ${i}` }
            : kind === 1 ? { path: path.join(dir, 'same.txt'), content: `write ${i}`, overwrite: true }
            : kind === 2 ? { path: file, content: `write ${i}`, overwrite: true }
            : { path: path.join(dir, `sub${i}`, 'f.txt'), content: `write ${i}`, createParents: true };
          const reply = await send(a.port, 'POST', '/api/v1/filesystem/write', { host: a.host, ...a.webApp.headers }, JSON.stringify(body), agent);
          if (reply.status === 200) written++;
          else if (reply.status >= 500) {
            serverErrors++;
            if (failures.length < 10) failures.push(`write ${i}: ${reply.status} ${reply.body.slice(0, 200)}`);
          } else refused++;
        }
      }),
    );
  } finally {
    agent.destroy();
    await writeFile(stopFile, '');
    const killer = setTimeout(() => racer.kill('SIGKILL'), 5000);
    await racerExit;
    clearTimeout(killer);
  }
  // inotify events arrive asynchronously: give the last ones time to land.
  await new Promise((resolve) => setTimeout(resolve, 300));
  for (const watcher of watchers) watcher.close();
  const outsideEntriesAfter = (await readdir(outsideDir)).length;
  const victimAfter = await stat(victim);
  const victimChanged = (await readFile(victim, 'utf8')) !== 'victim' || victimAfter.mtimeMs !== victimBefore.mtimeMs || victimAfter.ino !== victimBefore.ino;
  if (outsideEvents > 0) failures.push(`outside changed: ${seen.join(', ')}`);
  if (victimChanged) failures.push('the victim file outside changed');
  return {
    name: 'Symlink races on writes',
    attempts: writes,
    gotThrough: outsideEvents + outsideEntriesAfter + (victimChanged ? 1 : 0),
    failures,
    writes,
    written,
    refused,
    outsideEvents,
    outsideEntriesAfter,
    victimChanged,
    serverErrors,
    swaps: Number(racerOut) || 0,
  };
}

/** Kept for the test: the ROUTES table every "every route" attack walks. */
export const ROUTE_COUNT = Object.keys(ROUTES).length;
