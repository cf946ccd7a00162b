import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_BODY_LIMIT_BYTES, SMALL_BODY_LIMIT_BYTES } from '../../../src/contract/constants.js';
import { rawRequest } from '../../support/raw-http.js';
import { handshake, startTestBridge, type TestBridge } from '../../support/test-bridge.js';

/** A large configured limit, so that only a route's own limit can refuse the bodies below. */
const CONFIGURED_LIMIT = 1024 * 1024;

let bridge: TestBridge;
let token: string;
beforeAll(async () => {
  bridge = await startTestBridge({ config: { bodyLimitBytes: CONFIGURED_LIMIT } });
  token = (await handshake(bridge)).token;
});
afterAll(() => bridge.close());

const send = async (method: string, path: string, headers: Record<string, string>, body?: string) => {
  const response = await fetch(`${bridge.baseUrl}${path}`, { method, headers: { origin: bridge.origin, 'x-osloop-bridge-token': token, ...headers }, ...(body !== undefined ? { body } : {}) });
  const reply = (await response.json()) as { error?: { code: string } };
  return { status: response.status, code: reply.error?.code ?? null };
};

describe('what a request must say about its body', () => {
  it.each([
    ['a bodyless POST (a terminate)', 'POST', '/api/v1/system/commands/runs/run_missing/terminate'],
    ['a bodyless DELETE (a rule revoke)', 'DELETE', '/api/v1/system/permissions/commands/rule_missing'],
  ])('lets %s through without a Content-Type, to the route itself', async (_, method, path) => {
    // fetch() sends no Content-Type for these; the route answers (the id is unknown), not the guard.
    expect(await send(method, path, {})).toEqual({ status: 404, code: 'not_found' });
  });

  it.each<[string, Record<string, string>, string | undefined]>([
    ['a JSON body with no Content-Type', {}, '{"names":["git"]}'],
    ['a text/plain body', { 'content-type': 'text/plain' }, '{"names":["git"]}'],
    ['an empty text/plain body', { 'content-type': 'text/plain' }, ''],
    ['a form body', { 'content-type': 'application/x-www-form-urlencoded' }, 'names=git'],
  ])('refuses %s with 415', async (_, headers, body) => {
    expect(await send('POST', '/api/v1/system/tools/locate', headers, body)).toEqual({ status: 415, code: 'unsupported_media_type' });
  });

  it('refuses a chunked body with no Content-Type: a body is coming though no length says so', async () => {
    const body = '{"names":["git"]}';
    const reply = await rawRequest(
      Number(new URL(bridge.baseUrl).port),
      [
        'POST /api/v1/system/tools/locate HTTP/1.1',
        `Host: ${new URL(bridge.baseUrl).host}`,
        `Origin: ${bridge.origin}`,
        `X-OSLOOP-BRIDGE-TOKEN: ${token}`,
        'Transfer-Encoding: chunked',
      ],
      `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
    );
    expect(reply.status).toBe(415);
    expect(JSON.parse(reply.body)).toMatchObject({ error: { code: 'unsupported_media_type' } });
  });
});

describe('per-route body limits', () => {
  const json = { 'content-type': 'application/json' };

  it('refuses a handshake body over its own small limit, far below the configured one', async () => {
    const body = JSON.stringify({ clientName: 'x'.repeat(SESSION_BODY_LIMIT_BYTES) });
    const response = await fetch(`${bridge.baseUrl}/api/v1/session/handshake`, { method: 'POST', headers: { origin: bridge.origin, ...json }, body });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: { code: 'payload_too_large' } });
  });

  it('refuses a locate body over the small-route limit', async () => {
    const body = JSON.stringify({ names: ['git'], pad: 'x'.repeat(SMALL_BODY_LIMIT_BYTES) });
    expect(await send('POST', '/api/v1/system/tools/locate', json, body)).toEqual({ status: 413, code: 'payload_too_large' });
  });

  it('still takes a write body above the small limit, up to the configured one', async () => {
    // No target holds /tmp here: the refusal comes from the filesystem rules, after the body was read.
    const body = JSON.stringify({ path: '/tmp/osloop-body-limit.txt', content: 'x'.repeat(SMALL_BODY_LIMIT_BYTES * 2) });
    expect(await send('POST', '/api/v1/filesystem/write', json, body)).toEqual({ status: 403, code: 'path_outside_target' });
  });
});
