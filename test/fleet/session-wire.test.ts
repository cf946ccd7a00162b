import { describe, expect, it } from 'vitest';
import { MAC_BYTES, parseOutcome, parseSessionFrame, parseSessionRequestBody, SESSION_FRAME_V1 } from '../../src/fleet/session-wire.js';

const sessionId = 'A'.repeat(22);
const request = { ctr: 1, ts: 1_000, op: 'runs', machine: 'U'.repeat(56), params: {}, query: {}, sealed: null };

/** A frame as the client lays it out: version, session id, body, MAC (any 32 bytes: these checks do not verify it). */
function frame(body: string, options: { version?: number; id?: string; macBytes?: number } = {}): Buffer {
  return Buffer.concat([Buffer.from([options.version ?? SESSION_FRAME_V1]), Buffer.from(options.id ?? sessionId, 'latin1'), Buffer.from(body), Buffer.alloc(options.macBytes ?? MAC_BYTES, 7)]);
}

describe('the session wire checks', () => {
  it('take a well-formed frame, request body and outcome', () => {
    const parsed = parseSessionFrame(frame(JSON.stringify(request)));
    expect(parsed).toMatchObject({ sessionId, body: JSON.stringify(request) });
    expect(Buffer.from(parsed!.mac)).toEqual(Buffer.alloc(MAC_BYTES, 7));
    expect(parsed!.macked.length).toBe(1 + 22 + JSON.stringify(request).length);
    expect(parseSessionRequestBody(JSON.stringify(request))).toEqual(request);
    expect(parseSessionRequestBody(JSON.stringify({ ctr: 1, ts: 1, op: 'runs', machine: 'M', sealed: null }))).toEqual({ ctr: 1, ts: 1, op: 'runs', machine: 'M', params: {}, query: {}, sealed: null });
    expect(parseOutcome(JSON.stringify({ ok: false, error: { code: 'not_found', message: 'x', reason: 'r' } }))).toEqual({ ok: false, error: { code: 'not_found', message: 'x', reason: 'r' } });
  });

  it.each([
    ['a frame of another version', () => parseSessionFrame(frame(JSON.stringify(request), { version: 2 }))],
    ['a JSON request (a signed one)', () => parseSessionFrame(Buffer.from(JSON.stringify({ header: '{}', payload: '{}', sig: 'x'.repeat(40) })))],
    ['a frame too short for a MAC', () => parseSessionFrame(frame('{}', { macBytes: 10 }))],
    ['a bad session id', () => parseSessionFrame(frame(JSON.stringify(request), { id: 'A'.repeat(21) + '!' }))],
    ['a body that is not UTF-8', () => parseSessionFrame(Buffer.concat([Buffer.from([SESSION_FRAME_V1]), Buffer.from(sessionId), Buffer.from([0xff, 0xfe, 0x7b, 0x7d]), Buffer.alloc(MAC_BYTES)]))],
    ['a body that is not JSON', () => parseSessionRequestBody('{')],
    ['a body claiming a principal', () => parseSessionRequestBody(JSON.stringify({ ...request, principal: { kind: 'ui' } }))],
    ['a zero counter', () => parseSessionRequestBody(JSON.stringify({ ...request, ctr: 0 }))],
    ['a fractional counter', () => parseSessionRequestBody(JSON.stringify({ ...request, ctr: 1.5 }))],
    ['a counter beyond safe integers', () => parseSessionRequestBody(JSON.stringify({ ...request, ctr: 2 ** 60 }))],
    ['an empty operation', () => parseSessionRequestBody(JSON.stringify({ ...request, op: '' }))],
    ['no machine', () => parseSessionRequestBody(JSON.stringify({ ...request, machine: undefined }))],
    ['params that are a list', () => parseSessionRequestBody(JSON.stringify({ ...request, params: [] }))],
    ['a body that is text', () => parseSessionRequestBody(JSON.stringify({ ...request, body: 'x' }))],
    ['sealed fields that are a number', () => parseSessionRequestBody(JSON.stringify({ ...request, sealed: 1 }))],
    ['sealed fields left out', () => parseSessionRequestBody(JSON.stringify({ ...request, sealed: undefined }))],
    ['an outcome with an unknown error code', () => parseOutcome(JSON.stringify({ ok: false, error: { code: 'no_such_code', message: 'x' } }))],
    ['an outcome with an extra field', () => parseOutcome(JSON.stringify({ ok: true, value: 1, principal: 'ui' }))],
    ['an outcome that is not one', () => parseOutcome(JSON.stringify({ ok: 'yes' }))],
  ])('refuse %s', (_name, check) => {
    expect(check()).toBeNull();
  });
});
