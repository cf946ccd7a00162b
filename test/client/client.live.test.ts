import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { subjectsFor } from '../../src/bus/subjects.js';
import { BridgeClientError, ReplayGapError, createBridgeClient, type BridgeClient, type BridgeEvent } from '../../src/client/index.js';
import { CAPABILITIES, PROTOCOL_VERSION } from '../../src/contract/constants.js';
import { TEST_ORIGIN, startLiveBridge, type LiveBridge } from './live-bridge.js';

/**
 * Reads events until `stop` says so, leaving the stream open (`next()`, not `for await`, which
 * would close it on leaving the loop). The streams' signals keep a missing event from hanging.
 */
async function collect(stream: AsyncIterator<BridgeEvent>, stop: (seen: BridgeEvent[]) => boolean): Promise<BridgeEvent[]> {
  const seen: BridgeEvent[] = [];
  while (!stop(seen)) {
    const next = await stream.next();
    if (next.done) break;
    seen.push(next.value);
  }
  return seen;
}

const isContiguous = (seqs: number[]) => seqs.every((seq, i) => i === 0 || seq === seqs[i - 1]! + 1);

let live: LiveBridge;
const clients: BridgeClient[] = [];
const newClient = (options: Parameters<typeof createBridgeClient>[0] = {}) => {
  const client = createBridgeClient({ baseUrl: live.baseUrl, origin: TEST_ORIGIN, clientName: 'client tests', ...options });
  clients.push(client);
  return client;
};

beforeAll(async () => {
  live = await startLiveBridge({ eventBufferSize: 1_000, wsQueueLimit: 16 });
});
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});
afterAll(async () => {
  await live?.dispose();
});

describe('client against a live bridge', () => {
  it('executes in the web app\'s shape: respondAsync answers at once, a refusal is a BridgeClientError with its code', async () => {
    const client = newClient();
    await client.handshake();
    const body = { command: 'echo', args: ['from the client'], reason: 'client test', requestId: 'req-client-1', context: { source: 'skill', skillId: 'client' } };
    const accepted = await client.api.systemCommandsExecute({ body, respondAsync: true });
    expect(accepted).toMatchObject({ accepted: true, status: 'queued', decision: { source: 'pending' }, held: false, requestId: 'req-client-1' });
    await expect(client.api.systemCommandsExecute({ body, respondAsync: true })).resolves.toMatchObject({ runId: accepted.runId, duplicate: true });
    const refused = await client.api.systemCommandsExecute({ body: { command: 'sh', args: ['-c', 'id'], commandTemplate: 'echo', argsTemplate: ['hi'] } }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BridgeClientError);
    expect(refused).toMatchObject({ code: 'invalid_request', status: 400 });
  });

  it('discovers the bridge on its port', async () => {
    await expect(newClient().discover()).resolves.toMatchObject({ status: 'ok', protocolVersion: PROTOCOL_VERSION, port: live.port });
  });

  it('hand-shakes and calls bridgeInfo, capabilities and bridgeRuntime', async () => {
    const client = newClient();
    const session = await client.handshake();
    expect(session).toMatchObject({ protocolVersion: PROTOCOL_VERSION, sessionId: expect.any(String), sessionToken: expect.any(String) });

    const info = await client.api.bridgeInfo();
    expect(info).toMatchObject({ bridgeId: live.bridge.bridgeId, name: 'osloop-bridge', protocolVersion: PROTOCOL_VERSION });
    const { capabilities } = await client.api.capabilities();
    expect(capabilities.map((c) => c.id)).toEqual([...CAPABILITIES]);
    await expect(client.api.bridgeRuntime()).resolves.toMatchObject({ configuredPort: live.port, activePort: live.port, bindState: 'listening' });
  });

  it('refreshes the session, keeping its token', async () => {
    const client = newClient();
    const session = await client.handshake();
    const refreshed = await client.refresh();
    expect(refreshed.sessionToken).toBe(session.sessionToken);
    expect(Date.parse(refreshed.expiresAt)).toBeGreaterThanOrEqual(Date.parse(session.expiresAt));
    expect(client.session?.expiresAt).toBe(refreshed.expiresAt);
  });

  it('is unauthorized once closed', async () => {
    const client = newClient();
    await client.handshake();
    client.close();
    const error = await client.api.bridgeInfo().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BridgeClientError);
    expect(error).toMatchObject({ code: 'unauthorized', status: 401, details: { reason: 'missing' } });
  });

  it('is unauthorized with a wrong UI token', async () => {
    const error = await newClient({ uiToken: 'not-the-ui-token' }).api.uiStatus().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'unauthorized', status: 401, details: { reason: 'invalid' } });
  });

  it('calls a UI route with the real UI token', async () => {
    await expect(newClient({ uiToken: live.bridge.uiToken }).api.uiStatus()).resolves.toMatchObject({ bridgeId: live.bridge.bridgeId });
  });

  it('gets forbidden_origin from an origin the bridge does not allow', async () => {
    await expect(newClient({ origin: 'https://evil.example' }).handshake()).rejects.toMatchObject({ code: 'forbidden_origin', status: 403 });
  });

  it('validates on the bridge: a bad query is invalid_request', async () => {
    // The schema says min(1); only the bridge checks it.
    const error = await newClient({ uiToken: live.bridge.uiToken }).api.uiConnectionLog({ query: { limit: 0 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BridgeClientError);
    expect(error).toMatchObject({ code: 'invalid_request', status: 400 });
  });

  it('streams session.refreshed for its own session', async () => {
    const client = newClient();
    const { sessionId } = await client.handshake();
    const stream = client.events({ types: ['session.*'], signal: AbortSignal.timeout(10_000) });
    await waitUntilReady(stream);
    await client.refresh();
    const seen = await collect(stream, (events) => events.some((e) => e.type === 'session.refreshed' && e.data.sessionId === sessionId));
    expect(seen.every((e) => e.type.startsWith('session.'))).toBe(true);
    expect(seen.at(-1)).toMatchObject({ type: 'session.refreshed', data: { sessionId } });
  });

  it('resumes after a break with since: every event once, in order, no gap', async () => {
    const client = newClient();
    const { sessionId } = await client.handshake();
    const start = await currentSeq(client);
    for (let i = 0; i < 10; i++) await client.refresh();

    const first: BridgeEvent[] = [];
    for await (const event of client.events({ since: start, signal: AbortSignal.timeout(10_000) })) {
      first.push(event);
      if (first.length === 4) break;
    }
    const resumeFrom = first.at(-1)!.seq;
    const rest = await collect(client.events({ since: resumeFrom, signal: AbortSignal.timeout(10_000) }), (events) =>
      [...first, ...events].filter((e) => e.type === 'session.refreshed' && e.data.sessionId === sessionId).length === 10,
    );
    const seqs = [...first, ...rest].map((e) => e.seq);
    expect(seqs[0]).toBe(start + 1);
    expect(isContiguous(seqs)).toBe(true);
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it('reconnects by itself when the bridge closes a slow consumer (4008), without gap or duplicate', async () => {
    const client = newClient();
    const { sessionId } = await client.handshake();
    const stream = client.events({ types: ['session.refreshed'], signal: AbortSignal.timeout(15_000) });
    await waitUntilReady(stream);
    // A burst larger than the socket's queue limit (16 here): the bridge closes it with 4008.
    // Events about this session are its origin's; those about a session no origin owns go to the
    // local UI only, so they are neither delivered nor resumed here.
    const subjects = subjectsFor(live.bridge.bridgeId);
    const base = Date.now();
    const burst = Array.from({ length: 100 }, (_, i) => new Date(base + i * 1000).toISOString());
    for (const [i, expiresAt] of burst.entries()) {
      live.bridge.bus.publish(subjects.event('session.refreshed'), { sessionId, expiresAt });
      if (i % 10 === 0) live.bridge.bus.publish(subjects.event('session.refreshed'), { sessionId: `ses_not_ours${i}`, expiresAt });
    }
    const seen = await collect(stream, (events) => events.filter((e) => (e.data as { sessionId: string }).sessionId === sessionId).length === burst.length);
    // Every one of its own, once and in order; the foreign ones' seqs are the only holes.
    expect(seen.map((e) => e.data)).toEqual(burst.map((expiresAt) => ({ sessionId, expiresAt })));
    expect(seen.every((e, i) => i === 0 || e.seq > seen[i - 1]!.seq)).toBe(true);

    const { entries } = await newClient({ uiToken: live.bridge.uiToken }).api.uiConnectionLog();
    const upgrades = entries.filter((e) => e.kind === 'ws_upgrade' && e.sessionId === sessionId);
    expect(upgrades.length).toBeGreaterThan(1);
  });

  it('hands-shake again and resumes when its session expires under an open stream (4001)', async () => {
    const client = newClient();
    const first = await client.handshake();
    const stream = client.events({ types: ['session.*'], signal: AbortSignal.timeout(10_000) });
    await waitUntilReady(stream);
    // What the session actor publishes when its TTL elapses; the bridge then closes the socket.
    live.bridge.bus.publish(subjectsFor(live.bridge.bridgeId).event('session.expired'), { sessionId: first.sessionId });
    const seen = await collect(stream, (events) => events.some((e) => e.type === 'session.created' && e.data.sessionId !== first.sessionId));
    const second = client.session!;
    expect(second.sessionId).not.toBe(first.sessionId);
    expect(seen[0]).toMatchObject({ type: 'session.expired', data: { sessionId: first.sessionId } });
    expect(seen.at(-1)).toMatchObject({ type: 'session.created', data: { sessionId: second.sessionId } });
    await client.refresh();
    const after = await collect(stream, (events) => events.some((e) => e.type === 'session.refreshed'));
    expect(after.at(-1)).toMatchObject({ data: { sessionId: second.sessionId } });
    expect(after[0]!.seq).toBeGreaterThan(seen.at(-1)!.seq);
  });

  it('ends its streams on close', async () => {
    const client = newClient();
    await client.handshake();
    const stream = client.events();
    await waitUntilReady(stream);
    const pending = stream.next();
    client.close();
    await expect(pending).resolves.toEqual({ value: undefined, done: true });
  });

  it('fails a stream that cannot authenticate with unauthorized', async () => {
    const stream = newClient({ uiToken: 'wrong' }).events({ signal: AbortSignal.timeout(10_000) });
    await expect(stream.next()).rejects.toMatchObject({ code: 'unauthorized', status: 401 });
  });
});

describe('answering prompts over the event socket', () => {
  it('a session refused by approvals.localOnly (the default) gets forbidden as a BridgeClientError, and the prompt stays open', async () => {
    const client = newClient();
    await client.handshake();
    const accepted = await client.api.systemCommandsExecute({ body: { command: 'echo', args: ['answered on the socket'], reason: 'client socket answer' }, respondAsync: true });
    const stream = client.events({ types: ['permission.*'], signal: AbortSignal.timeout(15_000) });
    const refused = await stream.resolvePrompt(String(accepted.promptId), { decision: 'allow_once' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BridgeClientError);
    expect(refused).toMatchObject({ code: 'forbidden' });
    const prompts = await newClient({ uiToken: live.bridge.uiToken }).api.uiPrompts();
    expect(prompts.prompts.map((prompt) => prompt.promptId)).toContain(accepted.promptId);
  });

  it('a bad answer is invalid_request, and an unknown prompt not_found', async () => {
    const client = newClient();
    await client.handshake();
    const stream = client.events({ signal: AbortSignal.timeout(15_000) });
    await expect(stream.resolvePrompt('prm_unknown', { decision: 'maybe' } as never)).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(stream.resolvePrompt('prm_unknown', { decision: 'reject' })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('where the user lets the web app answer (localOnly off), resolves with the route\'s reply and the run follows it', async () => {
    const open = await startLiveBridge({ approvals: { localOnly: false } });
    const client = createBridgeClient({ baseUrl: open.baseUrl, origin: TEST_ORIGIN, clientName: 'client tests' });
    try {
      await client.handshake();
      const stream = client.events({ types: ['system.command.*'], signal: AbortSignal.timeout(15_000) });
      const accepted = await client.api.systemCommandsExecute({ body: { command: 'echo', args: ['answered on the socket'], reason: 'client socket answer' }, respondAsync: true });
      const promptId = String(accepted.promptId);
      const result = await stream.resolvePrompt(promptId, { decision: 'allow_once' });
      expect(result).toEqual({ promptId, state: 'allowed_once', decisionId: expect.any(String), ruleId: null });
      const ended = await collect(stream, (events) => events.some((e) => e.type === 'system.command.completed' && (e.data as { runId: string }).runId === accepted.runId));
      expect(ended.at(-1)).toMatchObject({ type: 'system.command.completed' });
      // Answered once: a second answer is a conflict.
      await expect(stream.resolvePrompt(promptId, { decision: 'reject' })).rejects.toMatchObject({ code: 'conflict' });
    } finally {
      client.close();
      await open.dispose();
    }
  });
});

describe('client against a live bridge with a small event buffer', () => {
  let small: LiveBridge;
  beforeAll(async () => {
    small = await startLiveBridge({ eventBufferSize: 16 });
  });
  afterAll(async () => {
    await small?.dispose();
  });

  it('throws ReplayGapError when since is older than the buffer', async () => {
    const client = createBridgeClient({ baseUrl: small.baseUrl, origin: TEST_ORIGIN });
    clients.push(client);
    await client.handshake();
    for (let i = 0; i < 20; i++) await client.refresh();
    const error = await collect(client.events({ since: 1, signal: AbortSignal.timeout(10_000) }), () => false).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReplayGapError);
    expect(error).toMatchObject({ requestedSince: 1 });
    expect((error as ReplayGapError).oldestAvailable).toBeGreaterThan(2);
  });
});

/** Resolves once the stream's socket is live (it knows where to resume from). */
async function waitUntilReady(stream: { lastSeq: number | undefined }): Promise<number> {
  await vi.waitFor(() => expect(stream.lastSeq).toBeDefined(), { timeout: 10_000 });
  return stream.lastSeq!;
}

/** The bridge's latest seq, read from a stream's ready frame. */
async function currentSeq(client: BridgeClient): Promise<number> {
  const stream = client.events();
  try {
    return await waitUntilReady(stream);
  } finally {
    stream.close();
  }
}
