import { describe, expect, it } from 'vitest';
import { parseOutcome, parseReplyBody, parseRequestPayload, parseSessionHeader, parseSessionWire } from '../../src/fleet/session-wire.js';

const header = { v: 1, sid: 'A'.repeat(22), ctr: 1, ts: 1_000, op: 'runs', machine: 'U'.repeat(56) };

describe('the session wire checks', () => {
  it('take a well-formed header, payload and outcome', () => {
    expect(parseSessionWire({ session: '{}', payload: '{}', mac: 'm' })).toEqual({ session: '{}', payload: '{}', mac: 'm' });
    expect(parseSessionHeader(JSON.stringify(header))).toEqual(header);
    expect(parseRequestPayload(JSON.stringify({ clear: {}, sealed: null }))).toEqual({ clear: { params: {}, query: {} }, sealed: null });
    expect(parseOutcome(JSON.stringify({ ok: false, error: { code: 'not_found', message: 'x', reason: 'r' } }))).toEqual({ ok: false, error: { code: 'not_found', message: 'x', reason: 'r' } });
    expect(parseReplyBody(JSON.stringify({ v: 1, machine: 'M', sid: 's', ctr: 2 }))).toEqual({ machine: 'M', sid: 's', ctr: 2 });
  });

  it.each([
    ['an extra wire field', () => parseSessionWire({ session: '{}', payload: '{}', mac: 'm', principal: { kind: 'ui' } })],
    ['a wire mac too long', () => parseSessionWire({ session: '{}', payload: '{}', mac: 'm'.repeat(65) })],
    ['a header that is not JSON', () => parseSessionHeader('{')],
    ['a header with an extra field', () => parseSessionHeader(JSON.stringify({ ...header, principal: { kind: 'ui' } }))],
    ['a header of another version', () => parseSessionHeader(JSON.stringify({ ...header, v: 2 }))],
    ['a zero counter', () => parseSessionHeader(JSON.stringify({ ...header, ctr: 0 }))],
    ['a fractional counter', () => parseSessionHeader(JSON.stringify({ ...header, ctr: 1.5 }))],
    ['a counter beyond safe integers', () => parseSessionHeader(JSON.stringify({ ...header, ctr: 2 ** 60 }))],
    ['a bad session id', () => parseSessionHeader(JSON.stringify({ ...header, sid: 'short' }))],
    ['an empty operation', () => parseSessionHeader(JSON.stringify({ ...header, op: '' }))],
    ['a payload claiming a principal', () => parseRequestPayload(JSON.stringify({ clear: {}, sealed: null, principal: { kind: 'ui' } }))],
    ['a clear part claiming a principal', () => parseRequestPayload(JSON.stringify({ clear: { principal: { kind: 'ui' } }, sealed: null }))],
    ['params that are a list', () => parseRequestPayload(JSON.stringify({ clear: { params: [] }, sealed: null }))],
    ['a body that is text', () => parseRequestPayload(JSON.stringify({ clear: { body: 'x' }, sealed: null }))],
    ['sealed fields that are a number', () => parseRequestPayload(JSON.stringify({ clear: {}, sealed: 1 }))],
    ['an outcome with an unknown error code', () => parseOutcome(JSON.stringify({ ok: false, error: { code: 'no_such_code', message: 'x' } }))],
    ['an outcome with an extra field', () => parseOutcome(JSON.stringify({ ok: true, value: 1, principal: 'ui' }))],
    ['an outcome that is not one', () => parseOutcome(JSON.stringify({ ok: 'yes' }))],
    ['a reply body of another version', () => parseReplyBody(JSON.stringify({ v: 2, machine: 'M', sid: 's', ctr: 2 }))],
  ])('refuse %s', (_name, check) => {
    expect(check()).toBeNull();
  });
});
