import { describe, expect, it, vi } from 'vitest';
import { BridgeClientError, ReplayGapError } from '../../src/client/errors.js';
import { EventStream, type EventStreamDeps, type EventStreamOptions } from '../../src/client/event-stream.js';
import type { BridgeEvent } from '../../src/client/route-types.js';
import { encodeOutputFrame } from '../../src/contract/output-frame.js';
import { fakeSockets } from './fake-socket.js';

function setup(overrides: Partial<EventStreamDeps> = {}, options: EventStreamOptions = {}) {
  const sockets = fakeSockets();
  let token = 'tok_1';
  const deps: EventStreamDeps = {
    connect: sockets.connect,
    url: (since) => ({ url: `ws://bridge/ws/v1/events?sessionToken=${token}${since === undefined ? '' : `&since=${since}`}`, sessionToken: token }),
    reauthenticate: vi.fn(async () => {
      token = 'tok_2';
      return true;
    }),
    probe: vi.fn(async () => {}),
    backoff: { initialMs: 1, maxMs: 1 },
    ...overrides,
  };
  const stream = new EventStream(deps, options);
  return { stream, deps, ...sockets };
}

async function take(stream: AsyncIterator<BridgeEvent>, n: number): Promise<number[]> {
  const seqs: number[] = [];
  while (seqs.length < n) {
    const next = await stream.next();
    if (next.done) break;
    seqs.push(next.value.seq);
  }
  return seqs;
}

describe('event stream', () => {
  it('resumes after an unexpected close with since = the last seq, dropping duplicates', async () => {
    const { stream, attempt } = setup();
    const first = await attempt(1);
    expect(first.url.searchParams.has('since')).toBe(false);
    first.open();
    first.ready(5);
    first.events(6, 7);
    first.close(1006);

    const second = await attempt(2);
    expect(second.url.searchParams.get('since')).toBe('7');
    second.open();
    second.events(7, 8);
    second.ready(8, 1);
    second.events(9);
    expect(await take(stream, 4)).toEqual([6, 7, 8, 9]);
    stream.close();
  });

  it('yields binary output frames as the same events, in order with JSON ones, and resumes after them', async () => {
    const { stream, attempt } = setup();
    const chunk = (seq: number, offset: number, text: string) => {
      const bytes = new TextEncoder().encode(text);
      return encodeOutputFrame({ seq, type: 'system.command.stdout', ts: 'now', data: { runId: 'run_1', offset, bytes: bytes.length } }, bytes);
    };
    const first = await attempt(1);
    first.open();
    first.ready(1);
    first.sendBinary(chunk(2, 0, 'hello '));
    first.events(3);
    first.sendBinary(chunk(4, 6, 'world'));
    first.sendBinary(Uint8Array.of(7, 7, 7)); // not an output frame: skipped
    first.close(1006);

    const second = await attempt(2);
    expect(second.url.searchParams.get('since')).toBe('4');
    second.open();
    second.sendBinary(chunk(4, 6, 'world')); // already seen
    second.ready(4);
    second.sendBinary(chunk(5, 11, '!'));
    const events: BridgeEvent[] = [];
    for (let i = 0; i < 4; i++) events.push((await stream.next()).value as BridgeEvent);
    expect(events.map((e) => e.seq)).toEqual([2, 3, 4, 5]);
    expect(events.filter((e) => e.type === 'system.command.stdout').map((e) => e.data)).toEqual([
      { runId: 'run_1', offset: 0, bytes: 6, chunk: 'hello ' },
      { runId: 'run_1', offset: 6, bytes: 5, chunk: 'world' },
      { runId: 'run_1', offset: 11, bytes: 1, chunk: '!' },
    ]);
    stream.close();
  });

  it('resumes from the ready frame when no event came before the close', async () => {
    const { stream, attempt } = setup({}, { since: 3 });
    const first = await attempt(1);
    expect(first.url.searchParams.get('since')).toBe('3');
    first.ready(42);
    first.close(1011);
    expect((await attempt(2)).url.searchParams.get('since')).toBe('42');
    stream.close();
  });

  it('hands-shake again and reconnects when the session expires (4001)', async () => {
    const { stream, attempt, deps } = setup();
    const first = await attempt(1);
    first.ready(1);
    first.close(4001);
    const second = await attempt(2);
    expect(deps.reauthenticate).toHaveBeenCalledWith('tok_1');
    expect(second.url.searchParams.get('sessionToken')).toBe('tok_2');
    expect(second.url.searchParams.get('since')).toBe('1');
    stream.close();
  });

  it('hands-shake again when the upgrade is refused with 401', async () => {
    const { stream, attempt, deps } = setup();
    (await attempt(1)).refuse(401, 'unauthorized', { reason: 'expired' });
    expect((await attempt(2)).url.searchParams.get('sessionToken')).toBe('tok_2');
    expect(deps.reauthenticate).toHaveBeenCalledTimes(1);
    stream.close();
  });

  it('throws the 401 when there is no session to renew', async () => {
    const { stream, attempt } = setup({ reauthenticate: async () => false });
    (await attempt(1)).refuse(401, 'unauthorized', { reason: 'missing' });
    await expect(stream.next()).rejects.toMatchObject({ code: 'unauthorized', status: 401 });
    await expect(stream.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('gives up at once on a refusal retrying cannot fix (403)', async () => {
    const { stream, attempt, attempts } = setup();
    (await attempt(1)).refuse(403, 'forbidden_origin');
    await expect(stream.next()).rejects.toBeInstanceOf(BridgeClientError);
    expect(attempts).toHaveLength(1);
  });

  it('retries a refusal the bridge may recover from (503)', async () => {
    const { stream, attempt } = setup();
    (await attempt(1)).refuse(503, 'unavailable');
    await attempt(2);
    stream.close();
  });

  it('asks an authenticated request why a socket never opened, and fails with its answer', async () => {
    const probe = vi.fn(async () => {
      throw new BridgeClientError('forbidden_origin', 'nope', { status: 403 });
    });
    const { stream, attempt } = setup({ probe });
    (await attempt(1)).close(1006, false);
    await expect(stream.next()).rejects.toMatchObject({ code: 'forbidden_origin' });
    expect(probe).toHaveBeenCalledTimes(1);
  });

  it('keeps retrying while the bridge is unreachable', async () => {
    const probe = vi.fn(async () => {
      throw new BridgeClientError('unavailable', 'down');
    });
    const { stream, attempt } = setup({ probe });
    (await attempt(1)).close(1006, false);
    (await attempt(2)).close(1006, false);
    await attempt(3);
    expect(probe).toHaveBeenCalledTimes(2);
    stream.close();
  });

  it('yields the events before a replay gap, then throws ReplayGapError', async () => {
    const { stream, attempt } = setup({}, { since: 1 });
    const first = await attempt(1);
    first.events(2, 3);
    first.send({ type: 'replay_gap', requestedSince: 3, oldestAvailable: 10, message: 'gone' });
    first.events(10);
    expect(await take(stream, 2)).toEqual([2, 3]);
    const error = await stream.next().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReplayGapError);
    expect(error).toMatchObject({ requestedSince: 3, oldestAvailable: 10, message: 'gone' });
    expect(first.closedByClient).toBe(1000);
  });

  it('ends without an error when its signal aborts, closing the socket', async () => {
    const controller = new AbortController();
    const { stream, attempt } = setup({}, { signal: controller.signal });
    const first = await attempt(1);
    first.ready(0);
    const pending = stream.next();
    controller.abort();
    await expect(pending).resolves.toEqual({ value: undefined, done: true });
    expect(first.closedByClient).toBe(1000);
  });

  it('ends at once for a signal already aborted', async () => {
    const { stream, attempts } = setup({}, { signal: AbortSignal.abort() });
    await expect(stream.next()).resolves.toMatchObject({ done: true });
    expect(attempts).toHaveLength(0);
  });

  it('closes the socket when `for await` breaks', async () => {
    const { stream, attempt } = setup();
    const first = await attempt(1);
    first.events(1, 2, 3);
    for await (const event of stream) if (event.seq === 2) break;
    expect(first.closedByClient).toBe(1000);
  });

  it('pauses a consumer that falls behind and resumes once it has read its queue', async () => {
    const { stream, attempt, attempts } = setup({ highWaterMark: 3 });
    const first = await attempt(1);
    first.ready(0);
    first.events(1, 2, 3, 4);
    await vi.waitFor(() => expect(first.closedByClient).toBe(1000));
    expect(stream.lastSeq).toBe(0);
    expect(await take(stream, 2)).toEqual([1, 2]);
    expect(stream.lastSeq).toBe(2);
    expect(attempts).toHaveLength(1);
    expect(await take(stream, 1)).toEqual([3]);
    const second = await attempt(2);
    expect(second.url.searchParams.get('since')).toBe('3');
    second.events(3, 4);
    expect(await take(stream, 1)).toEqual([4]);
    stream.close();
  });

  it('refuses a since that is not a non-negative integer', () => {
    expect(() => setup({}, { since: -1 })).toThrow(/"since" must be a non-negative integer; received -1/);
  });
});

describe('event stream: answering prompts', () => {
  const result = (id: string, promptId: string) => ({ type: 'prompt.resolve.result', id, promptId, ok: true, result: { promptId, state: 'rejected', decisionId: 'dec_1', ruleId: null }, error: null });

  it('waits for a ready socket, sends prompt.resolve with an id, and resolves with the result frame of that id', async () => {
    const { stream, attempt } = setup();
    const first = await attempt(1);
    const answered = stream.resolvePrompt('prm_1', { decision: 'reject' });
    first.open();
    first.ready(0);
    await vi.waitFor(() => expect(first.sentByClient).toHaveLength(1));
    const sent = first.sentByClient[0] as { id: string };
    expect(sent).toEqual({ type: 'prompt.resolve', id: expect.any(String), promptId: 'prm_1', decision: 'reject' });
    first.send(result('someone-else', 'prm_1'));
    first.send(result(sent.id, 'prm_1'));
    await expect(answered).resolves.toEqual({ promptId: 'prm_1', state: 'rejected', decisionId: 'dec_1', ruleId: null });
    stream.close();
  });

  it('rejects with the bridge\'s error code, and with unavailable when the socket closes before the result', async () => {
    const { stream, attempt } = setup();
    const first = await attempt(1);
    first.open();
    first.ready(0);
    const refused = stream.resolvePrompt('prm_1', { decision: 'allow_once' });
    await vi.waitFor(() => expect(first.sentByClient).toHaveLength(1));
    first.send({ type: 'prompt.resolve.result', id: (first.sentByClient[0] as { id: string }).id, promptId: 'prm_1', ok: false, result: null, error: { code: 'forbidden', message: 'localOnly' } });
    await expect(refused).rejects.toMatchObject({ code: 'forbidden' });

    const lost = stream.resolvePrompt('prm_2', { decision: 'reject' });
    await vi.waitFor(() => expect(first.sentByClient).toHaveLength(2));
    first.close(1006);
    await expect(lost).rejects.toBeInstanceOf(BridgeClientError);
    await expect(lost).rejects.toMatchObject({ code: 'unavailable' });
    stream.close();
    await expect(stream.resolvePrompt('prm_3', { decision: 'reject' })).rejects.toMatchObject({ code: 'unavailable' });
  });
});
