import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { thrownBy } from './thrown-by.js';
import { readFileSafely } from '../../src/filesystem/read-file.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-read-'));
  await writeFile(path.join(dir, 'ten.txt'), '0123456789');
  await mkdir(path.join(dir, 'folder'));
  execFileSync('mkfifo', [path.join(dir, 'pipe')]);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const read = (name: string, maxBytes = 1_000) => readFileSafely(path.join(dir, name), { maxBytes, within: dir, limitName: 'filesystem.maxReadBytes' });

describe('readFileSafely', () => {
  it('reads a regular file', async () => {
    const result = read('ten.txt');
    expect(result.bytes.toString()).toBe('0123456789');
    expect(result.size).toBe(10);
  });

  it('accepts a file exactly at the limit', async () => {
    expect((read('ten.txt', 10)).size).toBe(10);
  });

  it('refuses a file over the limit with 413 and a message naming the limit', async () => {
    expect(thrownBy(() => read('ten.txt', 9))).toMatchObject({
      code: 'payload_too_large',
      message: 'The file is 10 bytes; the limit is 9 bytes (filesystem.maxReadBytes).',
      details: { size: 10, limit: 9 },
    });
  });

  it('refuses a directory', async () => {
    expect(thrownBy(() => read('folder'))).toMatchObject({ code: 'invalid_request', details: { reason: 'is_directory' } });
  });

  it('refuses a FIFO without waiting for a writer', async () => {
    expect(thrownBy(() => read('pipe'))).toMatchObject({ code: 'invalid_request', details: { reason: 'not_regular_file' } });
  });

  it('answers not_found for a missing file', async () => {
    expect(thrownBy(() => read('missing.txt'))).toMatchObject({ code: 'not_found' });
  });

  it('refuses a descriptor that is not inside the allowed directory (a path changed under it)', async () => {
    expect(thrownBy(() => readFileSafely(path.join(dir, 'ten.txt'), { maxBytes: 100, within: path.join(dir, 'folder'), limitName: 'x' }))).toMatchObject({
      code: 'path_outside_target',
      details: { reason: 'symlink_changed' },
    });
  });
});
