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
    const { signal } = calls.begin('call_1', 'mcp_1', 'key-early', UI);
    expect(signal.aborted).toBe(true);
    expect((signal.reason as CallCancelledError).by).toBe('client_gone');
    calls.end('call_1');
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

  it('refuses a second call with an id still in flight', () => {
    const calls = new CallsInFlight();
    calls.begin('call_1', 'mcp_1', undefined, UI);
    expect(() => calls.begin('call_1', 'mcp_1', undefined, UI)).toThrow(expect.objectContaining({ code: 'conflict' }));
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
