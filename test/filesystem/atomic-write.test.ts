import { chmod, lstat, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { thrownBy } from './thrown-by.js';
import { writeFileAtomically } from '../../src/filesystem/atomic-write.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fs-atomic-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const bytes = (text: string) => Buffer.from(text);

describe('writeFileAtomically', () => {
  it('creates a new file and leaves no temporary file behind', async () => {
    const file = path.join(dir, 'new.txt');
    expect(writeFileAtomically(file, bytes('hello'), { overwrite: false })).toEqual({ created: true });
    expect(await readFile(file, 'utf8')).toBe('hello');
    expect((await readdir(dir)).filter((name) => name.includes('osloop-tmp'))).toEqual([]);
  });

  it('refuses to replace an existing file unless asked, leaving it untouched', async () => {
    const file = path.join(dir, 'kept.txt');
    await writeFile(file, 'original');
    expect(thrownBy(() => writeFileAtomically(file, bytes('new'), { overwrite: false }))).toMatchObject({ code: 'conflict' });
    expect(await readFile(file, 'utf8')).toBe('original');
    expect((await readdir(dir)).filter((name) => name.includes('osloop-tmp'))).toEqual([]);
  });

  it('replaces an existing file when asked, keeping its permissions', async () => {
    const file = path.join(dir, 'script.sh');
    await writeFile(file, 'old');
    await chmod(file, 0o750);
    expect(writeFileAtomically(file, bytes('new'), { overwrite: true })).toEqual({ created: false });
    expect(await readFile(file, 'utf8')).toBe('new');
    expect((await stat(file)).mode & 0o777).toBe(0o750);
  });

  it('refuses a symlink planted at the name after the path was resolved, leaving its destination alone', async () => {
    const victim = path.join(dir, 'victim.txt');
    const link = path.join(dir, 'planted-link');
    await writeFile(victim, 'untouched');
    await symlink(victim, link);
    expect(thrownBy(() => writeFileAtomically(link, bytes('new'), { overwrite: true }))).toMatchObject({ code: 'invalid_request' });
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readFile(victim, 'utf8')).toBe('untouched');
  });

  it('refuses to create through a dangling symlink at the name', async () => {
    const link = path.join(dir, 'dangling');
    await symlink(path.join(dir, 'would-be-created.txt'), link);
    expect(thrownBy(() => writeFileAtomically(link, bytes('x'), { overwrite: false }))).toMatchObject({ code: 'conflict' });
    expect(await readlink(link)).toBe(path.join(dir, 'would-be-created.txt'));
    await expect(stat(path.join(dir, 'would-be-created.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses a directory', async () => {
    expect(thrownBy(() => writeFileAtomically(dir, bytes('x'), { overwrite: true }))).toMatchObject({ code: 'invalid_request' });
  });

  it('lets a concurrent reader see the old content or the new, never a part', async () => {
    const file = path.join(dir, 'contended.bin');
    const size = 1024 * 1024;
    const versions = ['a', 'b', 'c', 'd', 'e', 'f'].map((letter) => Buffer.alloc(size, letter));
    await writeFile(file, versions[0]!);
    let writing = true;
    const torn: string[] = [];
    let reads = 0;
    const reader = (async () => {
      while (writing) {
        const content = await readFile(file);
        reads++;
        const whole = content.length === size && content.equals(Buffer.alloc(size, content[0]!));
        if (!whole) torn.push(`${content.length} bytes starting ${String.fromCharCode(content[0] ?? 63)}`);
        // Let the writer's file operations through the thread pool between reads.
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    for (const version of versions.slice(1)) {
      writeFileAtomically(file, version, { overwrite: true });
      // The reader's reads run in libuv's threads, also while this thread writes; let them finish.
      await new Promise((resolve) => setImmediate(resolve));
    }
    writing = false;
    await reader;
    expect(torn).toEqual([]);
    expect(reads).toBeGreaterThan(0);
    // Buffer.equals: a deep toEqual over a megabyte would take seconds.
    expect((await readFile(file)).equals(versions.at(-1)!)).toBe(true);
  });
});
