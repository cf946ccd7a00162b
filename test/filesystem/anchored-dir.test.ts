import { mkdir, mkdtemp, readdir, realpath, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { thrownBy } from './thrown-by.js';
import { anchorDirectory, makeDirectoriesInside } from '../../src/filesystem/anchored-dir.js';
import { writeFileAtomically } from '../../src/filesystem/atomic-write.js';

let root: string;
let target: string;
let outside: string;

/** root/target (allowed), root/outside (not), root/target/swapped → root/outside: a parent swapped after the check. */
beforeAll(async () => {
  root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'fs-anchored-')));
  target = path.join(root, 'target');
  outside = path.join(root, 'outside');
  await mkdir(path.join(target, 'real'), { recursive: true });
  await mkdir(outside);
  await symlink(outside, path.join(target, 'swapped'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('anchorDirectory', () => {
  it('names entries in the directory it checked', async () => {
    const dir = anchorDirectory(path.join(target, 'real'), target);
    try {
      writeFileAtomically(path.join(target, 'real', 'a.txt'), Buffer.from('a'), { overwrite: false, within: target });
      expect(await readdir(path.join(target, 'real'))).toEqual(['a.txt']);
      expect(dir.entry('a.txt')).not.toBe('');
    } finally {
      dir.close();
    }
  });

  it('refuses a directory that leads outside `within`', async () => {
    expect(thrownBy(() => anchorDirectory(path.join(target, 'swapped'), target))).toMatchObject({ code: 'path_outside_target', details: { reason: 'symlink_changed' } });
  });
});

describe('writing below a parent swapped for a symlink after the path was resolved', () => {
  it('refuses the write and creates nothing outside, not even the temporary file', async () => {
    const write = () => writeFileAtomically(path.join(target, 'swapped', 'planted.txt'), Buffer.from('x'), { overwrite: true, within: target });
    expect(thrownBy(write)).toMatchObject({ code: 'path_outside_target' });
    expect(await readdir(outside)).toEqual([]);
  });

  it('refuses to create parents through it', async () => {
    expect(thrownBy(() => makeDirectoriesInside(target, ['swapped', 'deeper'], target))).toMatchObject({ code: 'path_outside_target' });
    expect(await readdir(outside)).toEqual([]);
  });

  it('creates parents level by level inside the target', async () => {
    makeDirectoriesInside(path.join(target, 'real'), ['one', 'two'], target);
    expect(await readdir(path.join(target, 'real', 'one'))).toEqual(['two']);
  });
});
