import { connect, errors as natsErrors, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReplyMux } from '../../src/fleet/client/reply-mux.js';
import { requireNatsServer, startNatsServer, type NatsServerHandle } from '../support/nats-server.js';

const { skip } = requireNatsServer();
const text = (data: Uint8Array) => Buffer.from(data).toString('utf8');

describe.skipIf(skip)('the fleet client\'s reply mux on a real nats-server', () => {
  let server: NatsServerHandle;
  let client: NatsConnection;
  let responder: NatsConnection;

  beforeAll(async () => {
    server = await startNatsServer();
    client = await connect({ servers: server.url, inboxPrefix: '_INBOX_ORCH' });
    responder = await connect({ servers: server.url });
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await responder?.close();
    await server?.stop();
  });

  it('gives each request its own reply, answered out of order, on an inbox under the connection\'s prefix', async () => {
    const held: { reply: string; data: string }[] = [];
    const replySubjects: string[] = [];
    const all = new Promise<void>((resolve) => {
      responder.subscribe('mux.echo', {
        callback: (_error, msg) => {
          replySubjects.push(msg.reply!);
          held.push({ reply: msg.reply!, data: msg.string() });
          // Answer only once all three arrived, last first.
          if (held.length === 3) {
            for (const { reply, data } of held.reverse()) responder.publish(reply, `echo ${data}`);
            resolve();
          }
        },
      });
    });
    await responder.flush();
    const mux = new ReplyMux(client);
    const replies = Promise.all(['a', 'b', 'c'].map((data) => mux.request('mux.echo', data, 20_000)));
    await all;
    expect((await replies).map((msg) => text(msg.data))).toEqual(['echo a', 'echo b', 'echo c']);
    expect(replySubjects.every((subject) => subject.startsWith('_INBOX_ORCH.'))).toBe(true);
    expect(new Set(replySubjects).size).toBe(3);
    mux.close();
  }, 30_000);

  it('says no responders when nobody listens, as nc.request does', async () => {
    const mux = new ReplyMux(client);
    await expect(mux.request('mux.nobody', 'x', 20_000)).rejects.toBeInstanceOf(natsErrors.NoRespondersError);
    mux.close();
  }, 30_000);

  it('times out a request nobody answers, and still takes later replies', async () => {
    responder.subscribe('mux.silent', { callback: () => {} });
    responder.subscribe('mux.answers', { callback: (_error, msg) => void msg.respond('yes') });
    await responder.flush();
    const mux = new ReplyMux(client);
    await expect(mux.request('mux.silent', 'x', 300)).rejects.toBeInstanceOf(natsErrors.TimeoutError);
    expect(text((await mux.request('mux.answers', 'x', 20_000)).data)).toBe('yes');
    mux.close();
  }, 30_000);

  it('fails the requests pending when it is closed', async () => {
    responder.subscribe('mux.never', { callback: () => {} });
    await responder.flush();
    const mux = new ReplyMux(client);
    const pending = mux.request('mux.never', 'x', 20_000);
    await client.flush();
    mux.close();
    await expect(pending).rejects.toBeInstanceOf(natsErrors.RequestError);
  }, 30_000);

  it('fails the requests pending when the connection closes', async () => {
    const own = await connect({ servers: server.url });
    responder.subscribe('mux.never-either', { callback: () => {} });
    await responder.flush();
    const mux = new ReplyMux(own);
    const pending = mux.request('mux.never-either', 'x', 20_000);
    await own.flush();
    await own.close();
    await expect(pending).rejects.toBeInstanceOf(natsErrors.RequestError);
  }, 30_000);
});
