import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, SimulatedClock } from 'xstate';
import type { PublishParams } from '../../machines/contract-event.js';
import {
  backoffDelay,
  mcpConnectionMachine,
  type ConnectionActorInput,
  type McpCapabilitiesSnapshot,
  type McpConnectionEvent,
  type McpConnectionInput,
  type PermissionActorInput,
} from '../../machines/mcpConnection.machine.js';

const user = { kind: 'session', sessionId: 'ses_a', origin: 'http://127.0.0.1:1' } as const;

const snapshot = (tools: string[] = ['echo']): McpCapabilitiesSnapshot => ({
  serverInfo: { name: 'twin', version: '1' },
  protocolVersion: '2025-06-18',
  capabilities: { tools: {} },
  instructions: null,
  tools: tools.map((name) => ({ name })),
  resources: [],
  prompts: [],
  listedAt: '2026-01-01T00:00:00.000Z',
});

/** Starts the machine with effects the test drives by hand: it sees every start and stop. */
function start(transportType: McpConnectionInput['transportType'], retry = { maxAttempts: 2, initialDelayMs: 100, maxDelayMs: 1_000 }) {
  const clock = new SimulatedClock();
  const published: PublishParams[] = [];
  const connections: Array<{ input: ConnectionActorInput; send: (event: McpConnectionEvent) => void; stopped: boolean }> = [];
  const permissions: Array<{ input: PermissionActorInput; send: (event: McpConnectionEvent) => void; stopped: boolean }> = [];
  const machine = mcpConnectionMachine.provide({
    actors: {
      connection: fromCallback<McpConnectionEvent, ConnectionActorInput>(({ input, sendBack }) => {
        const record = { input, send: sendBack, stopped: false };
        connections.push(record);
        return () => void (record.stopped = true);
      }),
      requestPermission: fromCallback<McpConnectionEvent, PermissionActorInput>(({ input, sendBack }) => {
        const record = { input, send: sendBack, stopped: false };
        permissions.push(record);
        // HTTP servers are approved by the user too; these tests about supervision approve at once.
        if (transportType !== 'stdio') sendBack({ type: 'permission.allowed' });
        return () => void (record.stopped = true);
      }),
    },
    actions: { publish: (_, params: PublishParams) => void published.push(params) },
  });
  const actor = createActor(machine, { clock, input: { serverId: 'mcp_a', name: 'everything', origin: null, transportType, retry } }).start();
  const states = () => published.filter((p) => p.type === 'mcp.server.state_changed').map((p) => (p.data as { state: string }).state);
  const lastConnection = () => connections[connections.length - 1]!;
  const ready = (tools?: string[]) =>
    lastConnection().send({ type: 'connection.ready', snapshot: snapshot(tools), pid: 42, at: '2026-01-01T00:00:00.000Z' });
  return { actor, clock, published, connections, permissions, states, lastConnection, ready };
}

describe('mcpConnection machine', () => {
  it('asks approval for an HTTP server too, then connects and announces each state and the capabilities', () => {
    const t = start('streamable-http');
    t.actor.send({ type: 'connect', requestedBy: user });
    expect(t.permissions.map((p) => p.input)).toEqual([{ serverId: 'mcp_a', requestedBy: user }]);
    expect(t.actor.getSnapshot().matches({ live: 'connecting' })).toBe(true);
    t.ready(['echo', 'add']);
    const { context } = t.actor.getSnapshot();
    expect(t.actor.getSnapshot().matches({ live: 'connected' })).toBe(true);
    expect(context.capabilities?.tools.map((tool) => tool.name)).toEqual(['echo', 'add']);
    expect(context.pid).toBe(42);
    expect(t.states()).toEqual(['connecting', 'connected']);
    expect(t.published).toContainEqual({
      type: 'mcp.server.capabilities_changed',
      data: { serverId: 'mcp_a', changed: ['tools', 'resources', 'prompts'], toolsCount: 2, resourcesCount: 0, promptsCount: 0 },
    });
  });

  it('asks the permission authority before starting a stdio server and shows the prompt while waiting', () => {
    const t = start('stdio');
    t.actor.send({ type: 'connect', requestedBy: user });
    expect(t.permissions.map((p) => p.input)).toEqual([{ serverId: 'mcp_a', requestedBy: user }]);
    expect(t.connections).toHaveLength(0);
    t.permissions[0]!.send({ type: 'permission.pending', promptId: 'prm_1' });
    expect(t.actor.getSnapshot().context).toMatchObject({ publicState: 'awaiting_permission', promptId: 'prm_1' });
    expect(t.published.at(-1)).toMatchObject({ type: 'mcp.server.state_changed', data: { state: 'awaiting_permission', promptId: 'prm_1' } });
    t.permissions[0]!.send({ type: 'permission.allowed' });
    expect(t.permissions[0]!.stopped).toBe(true);
    expect(t.actor.getSnapshot().context.promptId).toBeNull();
    expect(t.connections).toHaveLength(1);
    expect(t.states()).toEqual(['awaiting_permission', 'connecting']);
  });

  it('starts at once when a whitelist rule allows it, without announcing awaiting_permission', () => {
    const t = start('stdio');
    t.actor.send({ type: 'connect', requestedBy: user });
    t.permissions[0]!.send({ type: 'permission.allowed' });
    expect(t.states()).toEqual(['connecting']);
  });

  it.each([
    ['rejected_by_user', 'The user rejected the prompt.'],
    ['permission_timeout', 'Nobody answered.'],
  ] as const)('ends disconnected with %s when permission is refused', (code, message) => {
    const t = start('stdio');
    t.actor.send({ type: 'connect', requestedBy: user });
    t.permissions[0]!.send({ type: 'permission.pending', promptId: 'prm_1' });
    t.permissions[0]!.send({ type: 'permission.denied', code, message });
    expect(t.actor.getSnapshot().value).toBe('disconnected');
    expect(t.connections).toHaveLength(0);
    expect(t.published.at(-1)).toEqual({
      type: 'mcp.server.state_changed',
      data: { serverId: 'mcp_a', name: 'everything', state: 'disconnected', previousState: 'awaiting_permission', lastError: message, lastErrorCode: code, promptId: null, authorizationUrl: null },
    });
  });

  it('shows needs_auth with the consent URL while the handshake waits for OAuth consent, then goes on', () => {
    const t = start('streamable-http');
    t.actor.send({ type: 'connect', requestedBy: user });
    t.lastConnection().send({ type: 'connection.needs_auth', authorizationUrl: 'https://as.example/authorize?state=s1' });
    expect(t.actor.getSnapshot().matches({ live: 'needs_auth' })).toBe(true);
    expect(t.published.at(-1)).toMatchObject({ type: 'mcp.server.state_changed', data: { state: 'needs_auth', authorizationUrl: 'https://as.example/authorize?state=s1' } });
    t.lastConnection().send({ type: 'connection.authorized' });
    t.ready();
    expect(t.states()).toEqual(['connecting', 'needs_auth', 'connecting', 'connected']);
    expect(t.actor.getSnapshot().context.authorizationUrl).toBeNull();
    expect(t.connections).toHaveLength(1);
  });

  it('returns to connected after a step-up consent in the middle of a session', () => {
    const t = start('streamable-http');
    t.actor.send({ type: 'connect', requestedBy: user });
    t.ready();
    t.lastConnection().send({ type: 'connection.needs_auth', authorizationUrl: 'https://as.example/authorize?state=s2' });
    t.lastConnection().send({ type: 'connection.authorized' });
    expect(t.states()).toEqual(['connecting', 'connected', 'needs_auth', 'connected']);
    expect(t.actor.getSnapshot().context.capabilities?.tools).toHaveLength(1);
  });

  it('ends failed with rejected_by_user, without retrying, when consent is refused', () => {
    const t = start('streamable-http');
    t.actor.send({ type: 'connect', requestedBy: user });
    t.lastConnection().send({ type: 'connection.needs_auth', authorizationUrl: 'https://as.example/authorize' });
    t.lastConnection().send({ type: 'connection.auth_refused', message: 'The authorization server refused consent (access_denied).' });
    expect(t.actor.getSnapshot().value).toBe('failed');
    expect(t.actor.getSnapshot().context).toMatchObject({ lastErrorCode: 'rejected_by_user', authorizationUrl: null });
    expect(t.lastConnection().stopped).toBe(true);
    expect(t.connections).toHaveLength(1);
  });

  it('withdraws the pending prompt when disconnected while waiting', () => {
    const t = start('stdio');
    t.actor.send({ type: 'connect', requestedBy: user });
    t.permissions[0]!.send({ type: 'permission.pending', promptId: 'prm_1' });
    t.actor.send({ type: 'disconnect' });
    expect(t.permissions[0]!.stopped).toBe(true);
    expect(t.actor.getSnapshot().value).toBe('disconnected');
  });

  it('restarts a crashed server after the backoff and lists its capabilities again', () => {
    const t = start('streamable-http');
    t.actor.send({ type: 'connect', requestedBy: user });
    t.ready();
    t.lastConnection().send({ type: 'connection.lost', message: 'The MCP server closed the connection.' });
    expect(t.connections[0]!.stopped).toBe(true);
    expect(t.actor.getSnapshot().value).toBe('reconnecting');
    expect(t.actor.getSnapshot().context).toMatchObject({ capabilities: null, pid: null, lastErrorCode: 'upstream_error' });
    t.clock.increment(99);
    expect(t.connections).toHaveLength(1);
    t.clock.increment(1);
    expect(t.connections.map((c) => c.input.attempt)).toEqual([0, 1]);
    t.ready(['echo']);
    expect(t.actor.getSnapshot().context).toMatchObject({ reconnectAttempts: 0, lastError: null });
    expect(t.states()).toEqual(['connecting', 'connected', 'reconnecting', 'connecting', 'connected']);
    expect(t.published.filter((p) => p.type === 'mcp.server.capabilities_changed')).toHaveLength(2);
  });

  it('does not ask permission again for a supervised restart of a stdio server', () => {
    const t = start('stdio');
    t.actor.send({ type: 'connect', requestedBy: user });
    t.permissions[0]!.send({ type: 'permission.allowed' });
    t.ready();
    t.lastConnection().send({ type: 'connection.lost', message: 'killed' });
    t.clock.increment(100);
    expect(t.permissions).toHaveLength(1);
    expect(t.connections).toHaveLength(2);
  });

  it('doubles the delay between attempts and ends failed with the last error once attempts are exhausted', () => {
    const t = start('stdio', { maxAttempts: 2, initialDelayMs: 100, maxDelayMs: 1_000 });
    t.actor.send({ type: 'connect', requestedBy: user });
    t.permissions[0]!.send({ type: 'permission.allowed' });
    t.lastConnection().send({ type: 'connection.failed', message: 'exited (1)' });
    t.clock.increment(100);
    t.lastConnection().send({ type: 'connection.failed', message: 'exited (2)' });
    t.clock.increment(199);
    expect(t.connections).toHaveLength(2);
    t.clock.increment(1);
    expect(t.connections).toHaveLength(3);
    t.lastConnection().send({ type: 'connection.failed', message: 'exited (3)\nstderr: boom' });
    expect(t.actor.getSnapshot().value).toBe('failed');
    expect(t.actor.getSnapshot().context).toMatchObject({ lastError: 'exited (3)\nstderr: boom', lastErrorCode: 'upstream_error' });
    expect(t.states().at(-1)).toBe('failed');
    t.clock.increment(10_000);
    expect(t.connections).toHaveLength(3);
  });

  it('caps the backoff delay', () => {
    expect([0, 1, 2, 3, 4, 5].map((attempt) => backoffDelay({ maxAttempts: 9, initialDelayMs: 100, maxDelayMs: 1_000 }, attempt))).toEqual([
      100, 200, 400, 800, 1_000, 1_000,
    ]);
  });

  it('starts over from failed on connect, asking permission again', () => {
    const t = start('stdio', { maxAttempts: 0, initialDelayMs: 100, maxDelayMs: 100 });
    t.actor.send({ type: 'connect', requestedBy: user });
    t.permissions[0]!.send({ type: 'permission.allowed' });
    t.lastConnection().send({ type: 'connection.failed', message: 'exited' });
    expect(t.actor.getSnapshot().value).toBe('failed');
    t.actor.send({ type: 'connect', requestedBy: user });
    expect(t.permissions).toHaveLength(2);
    expect(t.actor.getSnapshot().context.lastError).toBeNull();
  });

  it('treats connect as idempotent while connected and disconnect as idempotent while disconnected', () => {
    const t = start('sse');
    t.actor.send({ type: 'connect', requestedBy: user });
    t.ready();
    t.actor.send({ type: 'connect', requestedBy: user });
    expect(t.connections).toHaveLength(1);
    t.actor.send({ type: 'disconnect' });
    t.actor.send({ type: 'disconnect' });
    expect(t.connections[0]!.stopped).toBe(true);
    expect(t.states()).toEqual(['connecting', 'connected', 'disconnected']);
  });

  it('retries at once on connect while waiting for a restart', () => {
    const t = start('sse');
    t.actor.send({ type: 'connect', requestedBy: user });
    t.lastConnection().send({ type: 'connection.failed', message: 'refused' });
    t.actor.send({ type: 'connect', requestedBy: user });
    expect(t.connections).toHaveLength(2);
  });

  it('replaces the lists a list-changed notification refreshed and announces which changed', () => {
    const t = start('streamable-http');
    t.actor.send({ type: 'connect', requestedBy: user });
    t.ready(['echo']);
    t.lastConnection().send({ type: 'capabilities.updated', changed: ['tools'], lists: { tools: [{ name: 'echo' }, { name: 'new' }] }, at: '2026-01-01T00:00:05.000Z' });
    expect(t.actor.getSnapshot().context.capabilities).toMatchObject({ tools: [{ name: 'echo' }, { name: 'new' }], listedAt: '2026-01-01T00:00:05.000Z' });
    expect(t.published.at(-1)).toEqual({
      type: 'mcp.server.capabilities_changed',
      data: { serverId: 'mcp_a', changed: ['tools'], toolsCount: 2, resourcesCount: 0, promptsCount: 0 },
    });
  });

  it('uses the new name in its events after a rename', () => {
    const t = start('sse');
    t.actor.send({ type: 'server.update', name: 'renamed', transportType: 'sse' });
    t.actor.send({ type: 'connect', requestedBy: user });
    expect(t.published.at(-1)).toMatchObject({ data: { name: 'renamed', state: 'connecting' } });
  });
});
