import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { thrownBy } from './thrown-by.js';
import { BridgeError } from '../../src/contract/errors.js';
import type { Target } from '../../src/contract/routes/filesystem.js';
import { resolveInTargets } from '../../src/filesystem/resolve.js';
import { TargetRegistry } from '../../src/filesystem/targets.js';

let tmp: string;
let root: string;
let targets: Target[];

/**
 *  tmp/root            read-write target, configured through the symlink tmp/root-alias
 *  tmp/root/readonly   read target (more specific than root)
 *  tmp/outside         no target
 */
beforeAll(async () => {
  tmp = await realpath(await mkdtemp(path.join(os.tmpdir(), 'fs-resolve-')));
  root = path.join(tmp, 'root');
  const outside = path.join(tmp, 'outside');
  await mkdir(path.join(root, 'sub'), { recursive: true });
  await mkdir(path.join(root, 'readonly'));
  await mkdir(outside);
  await writeFile(path.join(root, 'file.txt'), 'inside');
  await writeFile(path.join(root, 'readonly', 'notes.txt'), 'read me');
  await writeFile(path.join(outside, 'secret.txt'), 'secret');
  await symlink(path.join(root, 'file.txt'), path.join(root, 'link-inside'));
  await symlink(path.join(outside, 'secret.txt'), path.join(root, 'link-out-file'));
  await symlink(outside, path.join(root, 'link-out-dir'));
  await symlink('../outside/never.txt', path.join(root, 'dangling-out'));
  await symlink('missing.txt', path.join(root, 'dangling-in'));
  await symlink('loop-b', path.join(root, 'loop-a'));
  await symlink('loop-a', path.join(root, 'loop-b'));
  await symlink(root, path.join(tmp, 'root-alias'));
  const registry = new TargetRegistry({
    roots: () => [
      { path: path.join(tmp, 'root-alias'), access: 'read-write' },
      { path: path.join(root, 'readonly'), access: 'read' },
    ],
    now: () => 0,
    newId: () => 'tgt_x',
  });
  targets = await registry.list({ kind: 'ui' });
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

type Expected = { real: string; exists: boolean } | { code: string; reason?: string };

function outcome(requested: string, mode: 'read' | 'write'): Expected {
  try {
    const resolved = resolveInTargets(requested, targets, mode);
    return { real: resolved.real, exists: resolved.exists };
  } catch (error) {
    if (!(error instanceof BridgeError)) throw error;
    return { code: error.code, ...(typeof error.details?.reason === 'string' ? { reason: error.details.reason } : {}) };
  }
}

describe('resolveInTargets', () => {
  it('keeps targets by their real path, even one configured through a symlink', () => {
    expect(targets.map((target) => [target.path, target.access])).toEqual([
      [root, 'read-write'],
      [path.join(root, 'readonly'), 'read'],
    ]);
  });

  // Paths are relative to tmp; `root/…` lives in the read-write target.
  it.each<[string, string, 'read' | 'write', (r: string) => Expected]>([
    ['a file inside', 'root/file.txt', 'read', (r) => ({ real: `${r}/file.txt`, exists: true })],
    ['a new file inside', 'root/sub/new.txt', 'write', (r) => ({ real: `${r}/sub/new.txt`, exists: false })],
    ['the symlinked path of the target', 'root-alias/file.txt', 'read', (r) => ({ real: `${r}/file.txt`, exists: true })],
    ['a symlink pointing inside (read at its destination)', 'root/link-inside', 'read', (r) => ({ real: `${r}/file.txt`, exists: true })],
    ['a symlink pointing inside (written at its destination)', 'root/link-inside', 'write', (r) => ({ real: `${r}/file.txt`, exists: true })],
    ['a ".." climb out', 'root/../outside/secret.txt', 'read', () => ({ code: 'path_outside_target', reason: 'dot_dot_segment' })],
    ['an absolute path elsewhere', 'outside/secret.txt', 'read', () => ({ code: 'path_outside_target', reason: 'outside_targets' })],
    ['a file symlink pointing out', 'root/link-out-file', 'read', () => ({ code: 'path_outside_target', reason: 'symlink_escape' })],
    ['a file symlink pointing out, for writing', 'root/link-out-file', 'write', () => ({ code: 'path_outside_target', reason: 'symlink_escape' })],
    ['a directory symlink pointing out', 'root/link-out-dir', 'read', () => ({ code: 'path_outside_target', reason: 'symlink_escape' })],
    ['a file under a symlinked parent pointing out', 'root/link-out-dir/secret.txt', 'read', () => ({ code: 'path_outside_target', reason: 'symlink_escape' })],
    ['a new file under a symlinked parent pointing out', 'root/link-out-dir/planted.txt', 'write', () => ({ code: 'path_outside_target', reason: 'symlink_escape' })],
    ['writing through a dangling symlink pointing out', 'root/dangling-out', 'write', () => ({ code: 'path_outside_target', reason: 'dangling_symlink' })],
    ['writing through a dangling symlink pointing inside', 'root/dangling-in', 'write', () => ({ code: 'path_outside_target', reason: 'dangling_symlink' })],
    ['a loop of symlinks', 'root/loop-a', 'read', () => ({ code: 'path_outside_target', reason: 'symlink_loop' })],
    ['a NUL byte', 'root/file.txt\0.png', 'read', () => ({ code: 'path_outside_target', reason: 'nul_byte' })],
    ['a Windows device name', 'root/CON.txt', 'write', () => ({ code: 'path_outside_target', reason: 'device_name' })],
    ['a path under a file', 'root/file.txt/x', 'write', () => ({ code: 'invalid_request', reason: 'parent_not_directory' })],
    ['a very long name', `root/${'x'.repeat(300)}`, 'write', () => ({ code: 'invalid_request', reason: 'name_too_long' })],
    ['a write into a read-only target inside a read-write one', 'root/readonly/notes.txt', 'write', () => ({ code: 'read_only_target' })],
    ['a read in that read-only target', 'root/readonly/notes.txt', 'read', (r) => ({ real: `${r}/readonly/notes.txt`, exists: true })],
  ])('%s', async (_, relative, mode, expected) => {
    expect(outcome(`${tmp}/${relative}`, mode)).toEqual(expected(root));
  });

  it('refuses a relative path', async () => {
    expect(outcome('root/file.txt', 'read')).toEqual({ code: 'path_outside_target', reason: 'not_absolute' });
  });

  it('allows exactly the file of a file target, nothing beside it', async () => {
    const file: Target = { targetId: 'tgt_f', path: path.join(root, 'file.txt'), kind: 'file', access: 'read', source: 'picked', addedAt: '' };
    expect(resolveInTargets(file.path, [file], 'read')).toMatchObject({ real: file.path });
    expect(thrownBy(() => resolveInTargets(path.join(root, 'sub', 'inner.txt'), [file], 'read'))).toMatchObject({ code: 'path_outside_target' });
  });
});
