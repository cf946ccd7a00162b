import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeError } from '../../src/contract/errors.js';
import type { Target } from '../../src/contract/routes/filesystem.js';
import { inThreadFileOperations, pooledFileOperations, type FileOperations } from '../../src/filesystem/filesystem-pool.js';

let tmp: string;
let targets: Target[];

/** tmp/root: a read-write target holding hello.txt; tmp/outside: no target. */
beforeAll(async () => {
  tmp = await realpath(await mkdtemp(path.join(os.tmpdir(), 'fs-pool-')));
  await mkdir(path.join(tmp, 'root'));
  await mkdir(path.join(tmp, 'outside'));
  await writeFile(path.join(tmp, 'root', 'hello.txt'), 'hello');
  await writeFile(path.join(tmp, 'outside', 'secret.txt'), 'secret');
  targets = [{ targetId: 'tgt_root', path: path.join(tmp, 'root'), kind: 'directory', access: 'read-write', source: 'configured', addedAt: '' }];
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

const read = (files: FileOperations, file: string, encoding: 'utf8' | 'base64' = 'utf8') =>
  files.run('read', { path: file, targets, maxBytes: 1024, limitName: 'filesystem.maxReadBytes', encoding });

describe.each([
  ['in worker threads', () => pooledFileOperations({ idleTimeoutMs: 1_000 })],
  ['on the calling thread', inThreadFileOperations],
])('the filesystem operations %s', (where, make) => {
  let files: FileOperations;
  beforeAll(() => {
    files = make();
  });
  afterAll(() => files.close());

  it('reads a file inside a target, encoded as asked', async () => {
    const file = path.join(tmp, 'root', 'hello.txt');
    expect(await read(files, file)).toMatchObject({ path: file, encoding: 'utf8', content: 'hello', size: 5 });
    expect(await read(files, file, 'base64')).toMatchObject({ content: Buffer.from('hello').toString('base64') });
  });

  it('hands back a refusal as the BridgeError it was, with its code and details', async () => {
    const refusal = await read(files, path.join(tmp, 'outside', 'secret.txt')).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(BridgeError);
    expect(refusal).toMatchObject({ code: 'path_outside_target', details: { reason: 'outside_targets' } });
    await expect(read(files, path.join(tmp, 'root', 'missing.txt'))).rejects.toMatchObject({ code: 'not_found' });
  });

  it('writes, creating parents when asked, and lists', async () => {
    const made = path.join(tmp, 'root', `made ${where}`);
    const file = path.join(made, 'deeper', 'new.txt');
    const written = await files.run('write', { path: file, targets, bytes: Buffer.from('new'), overwrite: false, createParents: true });
    expect(written).toEqual({ path: file, bytesWritten: 3, created: true, targetId: 'tgt_root' });
    expect(await readFile(file, 'utf8')).toBe('new');
    const listing = await files.run('list', { path: made, targets, limit: 10 });
    expect(listing).toMatchObject({ entries: [{ name: 'deeper', type: 'directory' }], skipped: 0, truncated: false });
  });

  it('answers many jobs at once, each with its own reply', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => writeFile(path.join(tmp, 'root', `n${i}.txt`), `number ${i}`)));
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => read(files, path.join(tmp, 'root', `n${i}.txt`))));
    expect(replies.map((reply) => reply.content)).toEqual(Array.from({ length: 20 }, (_, i) => `number ${i}`));
  });

  it('refuses jobs once closed, as a bridge that is stopping', async () => {
    const closing = make();
    await read(closing, path.join(tmp, 'root', 'hello.txt'));
    await closing.close();
    await expect(read(closing, path.join(tmp, 'root', 'hello.txt'))).rejects.toMatchObject({ code: 'unavailable' });
  });
});
