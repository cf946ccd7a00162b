import { describe, expect, it } from 'vitest';
import type { Principal } from '../../../src/contract/principal.js';
import { CallCancelledError, CallsInFlight } from '../../../src/services/mcp/calls-in-flight.js';

const UI: Principal = { kind: 'ui' };
const A: Principal = { kind: 'session', sessionId: 'ses_a', origin: 'https://a.example' };
const B: Principal = { kind: 'session', sessionId: 'ses_b', origin: 'https://b.example' };

describe('calls in flight', () => {
  it('cancels a call whose client went away while it runs', () => {
    const calls = new CallsInFlight();
    const { signal } = calls.begin('call_1', 'mcp_1', 'key-1', UI);
    expect(signal.aborted).toBe(false);
    calls.clientGone('key-1');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toEqual(new CallCancelledError('client_gone'));
  });

  it('cancels a call whose client went away before the call began (a cancel read in the same tick)', () => {
    const calls = new CallsInFlight();
    calls.clientGone('key-early');
    const controller = calls.begin('call_1', 'mcp_1', 'key-early', UI);
    expect(controller.signal.aborted).toBe(true);
    expect((controller.signal.reason as CallCancelledError).by).toBe('client_gone');
    calls.end('call_1', controller);
    // Claimed once: another call with that key (none should exist) is not cancelled by it.
    expect(calls.begin('call_2', 'mcp_1', 'key-early', UI).signal.aborted).toBe(false);
  });

  it('forgets the oldest early aborts past its bound, so keys of calls already ended cannot pile up', () => {
    const calls = new CallsInFlight();
    calls.clientGone('oldest');
    for (let i = 0; i < 1_024; i++) calls.clientGone(`key-${i}`);
    expect(calls.begin('call_old', 'mcp_1', 'oldest', UI).signal.aborted).toBe(false);
    expect(calls.begin('call_new', 'mcp_1', 'key-1023', UI).signal.aborted).toBe(true);
  });

  it('refuses a second call with an id still in flight from the same origin, and takes it once the first ended', () => {
    const calls = new CallsInFlight();
    const first = calls.begin('call_1', 'mcp_1', undefined, A);
    const sameOrigin: Principal = { kind: 'session', sessionId: 'ses_a2', origin: 'https://a.example' };
    expect(() => calls.begin('call_1', 'mcp_2', undefined, sameOrigin)).toThrow(expect.objectContaining({ code: 'conflict' }));
    calls.end('call_1', first);
    expect(calls.begin('call_1', 'mcp_1', undefined, sameOrigin).signal.aborted).toBe(false);
  });

  it('keeps the same id of two origins apart: neither is refused, cancelled or ended by the other', () => {
    const calls = new CallsInFlight();
    const ofA = calls.begin('c1', 'mcp_1', 'key-a', A);
    const ofB = calls.begin('c1', 'mcp_1', 'key-b', B);
    calls.cancel('c1', B);
    expect(ofB.signal.aborted).toBe(true);
    expect(ofA.signal.aborted).toBe(false);
    calls.end('c1', ofB);
    expect(() => calls.cancel('c1', B)).toThrow(expect.objectContaining({ code: 'not_found' }));
    calls.clientGone('key-b');
    expect(ofA.signal.aborted).toBe(false);
    calls.clientGone('key-a');
    expect(ofA.signal.aborted).toBe(true);
  });

  it('lets the local UI cancel the id in every origin that has it in flight', () => {
    const calls = new CallsInFlight();
    const ofA = calls.begin('c1', 'mcp_1', undefined, A);
    const ofB = calls.begin('c1', 'mcp_1', undefined, B);
    expect(calls.cancel('c1', UI)).toEqual({ callId: 'c1', cancelled: true });
    expect([ofA.signal.aborted, ofB.signal.aborted]).toEqual([true, true]);
  });

  it('lets only the caller\'s origin (and the local UI) cancel a call: to another origin it is not in flight', () => {
    const calls = new CallsInFlight();
    const { signal } = calls.begin('call_a', 'mcp_1', undefined, A);
    expect(() => calls.cancel('call_a', B)).toThrow(expect.objectContaining({ code: 'not_found' }));
    expect(signal.aborted).toBe(false);
    expect(calls.cancel('call_a', { kind: 'session', sessionId: 'ses_a2', origin: 'https://a.example' })).toEqual({ callId: 'call_a', cancelled: true });
    expect(signal.aborted).toBe(true);
    const other = calls.begin('call_b', 'mcp_1', undefined, B);
    expect(calls.cancel('call_b', UI)).toEqual({ callId: 'call_b', cancelled: true });
    expect(other.signal.aborted).toBe(true);
  });
});
