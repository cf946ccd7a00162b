import { describe, expect, it } from 'vitest';
import { audienceAllows } from '../../../src/contract/event-audience.js';
import type { Principal } from '../../../src/contract/principal.js';
import { createAudienceTracker } from '../../../src/services/events/event-audience.js';

const A: Principal = { kind: 'session', sessionId: 'ses_a', origin: 'https://a.example' };
const B: Principal = { kind: 'session', sessionId: 'ses_b', origin: 'https://b.example' };
const UI: Principal = { kind: 'ui' };

describe('event audience (origins are isolated)', () => {
  it('gives a run\'s events, including those naming only its id, to its origin and the local UI only', () => {
    const audienceOf = createAudienceTracker(() => undefined);
    const started = audienceOf('system.command.started', { runId: 'run_1', requestedBy: A });
    const stdout = audienceOf('system.command.stdout', { runId: 'run_1', offset: 0, bytes: 1, chunk: 'x' });
    const job = audienceOf('bridge.job.updated', { runId: 'run_1', status: 'running' });
    for (const audience of [started, stdout, job]) {
      expect(audienceAllows(audience, A)).toBe(true);
      expect(audienceAllows(audience, UI)).toBe(true);
      expect(audienceAllows(audience, B)).toBe(false);
    }
  });

  it('finds the owner of an id it has not seen in the live actor, and sends the unknown to the local UI only', () => {
    const audienceOf = createAudienceTracker((id) => (id === 'run_live' ? B : undefined));
    expect(audienceAllows(audienceOf('bridge.job.created', { runId: 'run_live' }), B)).toBe(true);
    expect(audienceAllows(audienceOf('bridge.job.created', { runId: 'run_live' }), A)).toBe(false);
    const unknown = audienceOf('system.command.stdout', { runId: 'run_nobody' });
    expect(audienceAllows(unknown, A)).toBe(false);
    expect(audienceAllows(unknown, UI)).toBe(true);
  });

  it('scopes prompts, decisions and rules to the origin that asked, and leaves bridge-wide events to everyone', () => {
    const audienceOf = createAudienceTracker(() => undefined);
    expect(audienceAllows(audienceOf('permission.prompt.created', { promptId: 'prm_1', subjectId: 'run_2', requestedBy: A }), B)).toBe(false);
    expect(audienceAllows(audienceOf('permission.prompt.resolved', { promptId: 'prm_1' }), A)).toBe(true);
    expect(audienceAllows(audienceOf('permission.prompt.resolved', { promptId: 'prm_1' }), B)).toBe(false);
    expect(audienceAllows(audienceOf('permission.decision.recorded', { decisionId: 'dec_1', subject: { id: 'run_3' }, requestedBy: B }), A)).toBe(false);
    expect(audienceAllows(audienceOf('permission.whitelist.updated', { change: 'created', rule: { scope: { origin: 'https://a.example' } } }), B)).toBe(false);
    expect(audienceOf('bridge.runtime.updated', {})).toBeUndefined();
  });

  it('gives an MCP server\'s events to the origin that registered it, found from the event or the server\'s actor', () => {
    const audienceOf = createAudienceTracker(
      () => undefined,
      (serverId) => ({ mcp_live: 'https://b.example', mcp_local: null })[serverId],
    );
    const registered = audienceOf('mcp.server.registered', { serverId: 'mcp_1', name: 'x', origin: 'https://a.example' });
    const stateChanged = audienceOf('mcp.server.state_changed', { serverId: 'mcp_1', state: 'connected' });
    const removed = audienceOf('mcp.server.removed', { serverId: 'mcp_1', name: 'x', origin: 'https://a.example' });
    for (const audience of [registered, stateChanged, removed]) expect([A, B, UI].map((p) => audienceAllows(audience, p))).toEqual([true, false, true]);
    // Named by id only, and never seen: the server's actor says whose it is.
    expect([A, B, UI].map((p) => audienceAllows(audienceOf('mcp.resource.updated', { serverId: 'mcp_live', uri: 'u' }), p))).toEqual([false, true, true]);
    expect([A, B, UI].map((p) => audienceAllows(audienceOf('mcp.server.log', { serverId: 'mcp_live', level: 'info' }), p))).toEqual([false, true, true]);
    // The local user's server is heard by sessions without an origin and the UI, not by web apps.
    const noOrigin: Principal = { kind: 'session', sessionId: 'ses_c', origin: null };
    expect([A, noOrigin, UI].map((p) => audienceAllows(audienceOf('mcp.server.capabilities_changed', { serverId: 'mcp_local' }), p))).toEqual([false, true, true]);
    // A server nobody knows of is the UI's alone.
    expect([A, B, UI].map((p) => audienceAllows(audienceOf('mcp.server.state_changed', { serverId: 'mcp_gone' }), p))).toEqual([false, false, true]);
  });

  it('gives an awake lock\'s events to its holder\'s origin (the release found by the lock\'s id alone), a picker\'s to its asker\'s and a write\'s to its writer\'s', () => {
    const audienceOf = createAudienceTracker((id) => (id === 'lock_live' ? B : undefined));
    const acquired = audienceOf('awake.acquired', { lockId: 'lock_1', reason: 'build', holder: A, acquiredAt: '', expiresAt: null });
    const released = audienceOf('awake.released', { lockId: 'lock_1', cause: 'released' });
    for (const audience of [acquired, released]) {
      expect(audienceAllows(audience, A)).toBe(true);
      expect(audienceAllows(audience, UI)).toBe(true);
      expect(audienceAllows(audience, B)).toBe(false);
    }
    // A lock acquired by the local UI is the UI's; one never seen is looked up in its live actor.
    expect(audienceAllows(audienceOf('awake.acquired', { lockId: 'lock_2', holder: UI }), A)).toBe(false);
    expect(audienceAllows(audienceOf('awake.released', { lockId: 'lock_live', cause: 'expired' }), B)).toBe(true);
    expect(audienceAllows(audienceOf('awake.released', { lockId: 'lock_live', cause: 'expired' }), A)).toBe(false);
    // A picker's end goes to the origin that asked for it.
    const selected = audienceOf('filesystem.selected', { pickerId: 'pick_1', kind: 'directory', outcome: 'selected', targets: [], requestedBy: A });
    expect(audienceAllows(selected, A)).toBe(true);
    expect(audienceAllows(selected, B)).toBe(false);
    const written = audienceOf('filesystem.written', { path: '/t/a', targetId: 'tgt_1', bytesWritten: 1, created: true, requestedBy: B });
    expect(audienceAllows(written, B)).toBe(true);
    expect(audienceAllows(written, A)).toBe(false);
    // Whether the machine is kept awake is everyone's to know.
    expect(audienceOf('awake.state_changed', { supported: true, active: true })).toBeUndefined();
  });

  it('keeps a session\'s own events to its origin', () => {
    const audienceOf = createAudienceTracker(() => undefined);
    audienceOf('session.created', { sessionId: 'ses_a', origin: 'https://a.example' });
    expect(audienceAllows(audienceOf('session.expired', { sessionId: 'ses_a' }), B)).toBe(false);
    expect(audienceAllows(audienceOf('session.expired', { sessionId: 'ses_a' }), A)).toBe(true);
  });

  it('sends an MCP server\'s request, and its resolution, to the audience it names', () => {
    const audienceOf = createAudienceTracker(
      () => undefined,
      (serverId) => (serverId === 'mcp_b' ? 'https://b.example' : undefined),
    );
    for (const type of ['mcp.server_request.created', 'mcp.server_request.resolved']) {
      const caller = audienceOf(type, { requestId: 'sreq_1', visibleTo: 'caller', requestedBy: A });
      expect([A, B, UI].map((p) => audienceAllows(caller, p))).toEqual([true, false, true]);
      const uiOnly = audienceOf(type, { requestId: 'sreq_2', visibleTo: 'ui_only', requestedBy: null });
      expect([A, B, UI].map((p) => audienceAllows(uiOnly, p))).toEqual([false, false, true]);
      // Everyone's: everyone who may use the server, i.e. the origin that registered it.
      const everyone = audienceOf(type, { requestId: 'sreq_3', serverId: 'mcp_b', visibleTo: 'everyone', requestedBy: null });
      expect([A, B, UI].map((p) => audienceAllows(everyone, p))).toEqual([false, true, true]);
      // A caller request that names no caller is nobody's but the UI's.
      expect(audienceAllows(audienceOf(type, { requestId: 'sreq_4', visibleTo: 'caller', requestedBy: null }), A)).toBe(false);
    }
  });
});
