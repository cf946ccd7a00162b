import { describe, expect, it } from 'vitest';
import type { Principal } from '../../../src/contract/principal.js';
import { CallersInFlight } from '../../../src/services/mcp/callers-in-flight.js';

const A: Principal = { kind: 'session', sessionId: 'ses_a', origin: 'https://a.example' };
const A2: Principal = { kind: 'session', sessionId: 'ses_a2', origin: 'https://a.example' };
const B: Principal = { kind: 'session', sessionId: 'ses_b', origin: 'https://b.example' };
const NO_ORIGIN: Principal = { kind: 'session', sessionId: 'ses_n', origin: null };
const UI: Principal = { kind: 'ui' };

describe('callers in flight to an MCP server', () => {
  it('names the one origin with requests in flight, by its latest caller, until its last request ends', () => {
    const callers = new CallersInFlight();
    expect(callers.audienceFor('mcp_1')).toEqual({ visibleTo: 'everyone', requestedBy: null });
    const first = callers.enter('mcp_1', A);
    const second = callers.enter('mcp_1', A2);
    const third = callers.enter('mcp_1', A);
    expect(callers.audienceFor('mcp_1')).toEqual({ visibleTo: 'caller', requestedBy: A });
    // Another server's callers are its own.
    expect(callers.audienceFor('mcp_2')).toEqual({ visibleTo: 'everyone', requestedBy: null });
    third();
    expect(callers.audienceFor('mcp_1')).toEqual({ visibleTo: 'caller', requestedBy: A2 });
    // Leaving twice counts once.
    second();
    second();
    expect(callers.audienceFor('mcp_1')).toEqual({ visibleTo: 'caller', requestedBy: A });
    first();
    expect(callers.audienceFor('mcp_1')).toEqual({ visibleTo: 'everyone', requestedBy: null });
  });

  it('names nobody while several origins have requests in flight', () => {
    const callers = new CallersInFlight();
    const a = callers.enter('mcp_1', A);
    const b = callers.enter('mcp_1', B);
    expect(callers.audienceFor('mcp_1')).toEqual({ visibleTo: 'ui_only', requestedBy: null });
    a();
    expect(callers.audienceFor('mcp_1')).toEqual({ visibleTo: 'caller', requestedBy: B });
    b();
  });

  it('keeps the local UI apart from a session without an origin, though both have the null scope', () => {
    const callers = new CallersInFlight();
    const ui = callers.enter('mcp_1', UI);
    const session = callers.enter('mcp_1', NO_ORIGIN);
    expect(callers.audienceFor('mcp_1')).toEqual({ visibleTo: 'ui_only', requestedBy: null });
    session();
    expect(callers.audienceFor('mcp_1')).toEqual({ visibleTo: 'caller', requestedBy: UI });
    ui();
  });
});
