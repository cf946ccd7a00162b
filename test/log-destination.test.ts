import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { mkdtemp } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogDestination } from '../src/log-destination.js';

/** A real Unix socket whose far end does not read until told to (what a stalled log reader is). */
async function stalledReader() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'osloop-logdest-'));
  const socketPath = path.join(dir, 'log.sock');
  let far: net.Socket | undefined;
  const received: Buffer[] = [];
  const server = net.createServer((socket) => {
    far = socket;
    socket.pause();
    socket.on('data', (chunk) => received.push(chunk));
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  const near = net.connect(socketPath);
  await new Promise<void>((resolve) => near.once('connect', resolve));
  await new Promise<void>((resolve) => (far ? resolve() : server.once('connection', () => resolve())));
  return {
    near,
    resume: () => far!.resume(),
    hangUp: () => far!.destroy(),
    text: () => Buffer.concat(received).toString('utf8'),
    close: () => {
      near.destroy();
      far?.destroy();
      server.close();
    },
  };
}

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

describe('the log destination', () => {
  it('drops lines instead of queueing without bound when the reader stops reading, then says how many', async () => {
    const reader = await stalledReader();
    cleanup = reader.close;
    const destination = createLogDestination(reader.near, { maxQueuedBytes: 64 * 1024 });
    const line = `${JSON.stringify({ msg: 'x'.repeat(1000) })}\n`;
    for (let i = 0; i < 2_000; i++) destination.write(line);

    expect(destination.dropped).toBeGreaterThan(0);
    expect(reader.near.writableLength).toBeLessThanOrEqual(64 * 1024 + line.length);

    const dropped = destination.dropped;
    reader.resume();
    await new Promise<void>((resolve) => destination.onceDrained(resolve));
    destination.write('{"msg":"after"}\n');
    await new Promise<void>((resolve) => destination.onceDrained(resolve));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(reader.text()).toContain(`${dropped} log line(s) dropped`);
    expect(reader.text()).toContain('"msg":"after"');
  });

  it('never throws once the reader is gone (EPIPE), and counts what it could not write', async () => {
    const reader = await stalledReader();
    cleanup = reader.close;
    const destination = createLogDestination(reader.near);
    reader.hangUp();
    await new Promise<void>((resolve) => reader.near.once('close', () => resolve()).once('end', () => resolve()));
    for (let i = 0; i < 100; i++) expect(() => destination.write('{"msg":"lost"}\n')).not.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (let i = 0; i < 10; i++) destination.write('{"msg":"lost"}\n');
    expect(destination.dropped).toBeGreaterThan(0);
  });
});
