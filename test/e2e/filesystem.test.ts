import { mkdir, mkdtemp, readdir, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import os from 'node:os';
import { promisify } from 'node:util';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectEvents, startClientBridge, type ClientBridge } from './system-support.js';

const execFileAsync = promisify(execFile);

let tmp: string;
let work: string;
let docs: string;
let b: ClientBridge;

/** tmp/work: read-write root; tmp/docs: read-only root; tmp/outside: no target. */
beforeAll(async () => {
  tmp = await realpath(await mkdtemp(path.join(os.tmpdir(), 'fs-e2e-')));
  work = path.join(tmp, 'work');
  docs = path.join(tmp, 'docs');
  await mkdir(work);
  await mkdir(docs);
  await mkdir(path.join(tmp, 'outside'));
  await writeFile(path.join(work, 'hello.txt'), 'hello');
  await writeFile(path.join(work, 'binary.bin'), Buffer.from([0xff, 0x00, 0xfe]));
  await writeFile(path.join(docs, 'readme.md'), '# docs');
  await writeFile(path.join(tmp, 'outside', 'secret.txt'), 'secret');
  await symlink(path.join(tmp, 'outside', 'secret.txt'), path.join(work, 'link-out-file'));
  await symlink(path.join(tmp, 'outside'), path.join(work, 'link-out-dir'));
  await symlink('../outside/created-by-link.txt', path.join(work, 'dangling'));
  await symlink(path.join(work, 'hello.txt'), path.join(work, 'link-in'));
  b = await startClientBridge({
    config: {
      filesystem: {
        roots: [
          { path: work, access: 'read-write' },
          { path: docs, access: 'read' },
        ],
        maxReadBytes: 1024,
        maxWriteBytes: 1024,
      },
    },
  });
});
afterAll(async () => {
  await b.close();
  await rm(tmp, { recursive: true, force: true });
});

const read = (body: { path: string; encoding?: 'utf8' | 'base64'; maxBytes?: number }) => b.app.api.filesystemRead({ body });
const write = (body: { path: string; content: string; encoding?: 'utf8' | 'base64'; overwrite?: boolean; createParents?: boolean }) =>
  b.app.api.filesystemWrite({ body });
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: { status: number; code: string; details?: { reason?: string } }) => ({ status: error.status, code: error.code, reason: error.details?.reason }),
  );

describe('filesystem targets, read and write over HTTP', () => {
  it('lists the configured roots with their access', async () => {
    const { targets } = await b.app.api.filesystemTargets();
    expect(targets.map((t) => [t.path, t.access, t.source])).toEqual([
      [work, 'read-write', 'configured'],
      [docs, 'read', 'configured'],
    ]);
  });

  it('reads text as utf8 and bytes as base64', async () => {
    expect(await read({ path: path.join(work, 'hello.txt') })).toMatchObject({ path: path.join(work, 'hello.txt'), encoding: 'utf8', content: 'hello', size: 5 });
    expect(await read({ path: path.join(work, 'binary.bin'), encoding: 'base64' })).toMatchObject({ content: '/wD+', size: 3 });
  });

  it('refuses to read bytes that are not UTF-8 as utf8, rather than mangle them', async () => {
    expect(await refusal(read({ path: path.join(work, 'binary.bin') }))).toEqual({ status: 400, code: 'invalid_request', reason: 'not_utf8' });
  });

  it('writes atomically, refuses to overwrite unless asked, creates parents on request', async () => {
    const file = path.join(work, 'out', 'deep', 'result.txt');
    expect(await refusal(write({ path: file, content: 'one' }))).toEqual({ status: 404, code: 'not_found', reason: 'parent_missing' });
    expect(await write({ path: file, content: 'one', createParents: true })).toEqual({ path: file, bytesWritten: 3, created: true });
    expect(await refusal(write({ path: file, content: 'two' }))).toEqual({ status: 409, code: 'conflict', reason: 'exists' });
    expect(await write({ path: file, content: 'dHdv', encoding: 'base64', overwrite: true })).toEqual({ path: file, bytesWritten: 3, created: false });
    expect(await readFile(file, 'utf8')).toBe('two');
    expect((await readdir(path.dirname(file))).filter((name) => name.includes('osloop-tmp'))).toEqual([]);
  });

  it('announces filesystem.written with the path and size, never the content', async () => {
    const events = collectEvents(b.app, ['filesystem.written']);
    const file = path.join(work, 'announced.txt');
    await write({ path: file, content: 'a very particular marker' });
    const event = await events.next('filesystem.written', (data) => data.path === file);
    expect(event).toEqual({ path: file, targetId: expect.stringMatching(/^cfg_/), bytesWritten: 24, created: true, requestedBy: { kind: 'session', sessionId: b.app.session!.sessionId, origin: b.bridge.origin } });
    expect(JSON.stringify(events.events)).not.toContain('particular marker');
    events.stop();
  });

  it('refuses writes to a read-only target with 403', async () => {
    expect(await refusal(write({ path: path.join(docs, 'new.md'), content: 'x' }))).toEqual({ status: 403, code: 'read_only_target', reason: undefined });
    expect(await read({ path: path.join(docs, 'readme.md') })).toMatchObject({ content: '# docs' });
  });

  it('refuses files over the size limits with 413 and a clear message', async () => {
    await writeFile(path.join(work, 'big.txt'), 'x'.repeat(1025));
    const error = await read({ path: path.join(work, 'big.txt') }).catch((e: { status: number; code: string; message: string }) => e);
    expect(error).toMatchObject({ status: 413, code: 'payload_too_large', message: 'The file is 1025 bytes; the limit is 1024 bytes (filesystem.maxReadBytes).' });
    expect(await refusal(read({ path: path.join(work, 'hello.txt'), maxBytes: 4 }))).toMatchObject({ status: 413, code: 'payload_too_large' });
    const tooBig = await write({ path: path.join(work, 'big-out.txt'), content: 'y'.repeat(1025) }).catch((e: { status: number; message: string }) => e);
    expect(tooBig).toMatchObject({ status: 413, message: 'The file is 1025 bytes; the limit is 1024 bytes (filesystem.maxWriteBytes).' });
  });

  it('refuses bad base64 instead of writing what Node would guess', async () => {
    expect(await refusal(write({ path: path.join(work, 'b64.bin'), content: 'not base64!', encoding: 'base64' }))).toMatchObject({ status: 400, reason: 'invalid_base64' });
  });

  it('reads through a symlink pointing inside, at its destination', async () => {
    expect(await read({ path: path.join(work, 'link-in') })).toMatchObject({ path: path.join(work, 'hello.txt'), content: 'hello' });
  });
});

describe('every traversal and symlink trick is refused', () => {
  it.each<[string, () => string, 'read' | 'write', number, string, string | undefined]>([
    ['a ".." climb', () => `${work}/../outside/secret.txt`, 'read', 403, 'path_outside_target', 'dot_dot_segment'],
    ['a relative path', () => '../outside/secret.txt', 'read', 403, 'path_outside_target', 'not_absolute'],
    ['an absolute path elsewhere', () => '/etc/passwd', 'read', 403, 'path_outside_target', 'outside_targets'],
    ['a file symlink pointing out', () => path.join(work, 'link-out-file'), 'read', 403, 'path_outside_target', 'symlink_escape'],
    ['a directory symlink pointing out', () => path.join(work, 'link-out-dir'), 'read', 403, 'path_outside_target', 'symlink_escape'],
    ['a file below a symlinked parent', () => path.join(work, 'link-out-dir', 'secret.txt'), 'read', 403, 'path_outside_target', 'symlink_escape'],
    ['writing below a symlinked parent', () => path.join(work, 'link-out-dir', 'planted.txt'), 'write', 403, 'path_outside_target', 'symlink_escape'],
    ['writing through a file symlink pointing out', () => path.join(work, 'link-out-file'), 'write', 403, 'path_outside_target', 'symlink_escape'],
    ['writing through a dangling symlink', () => path.join(work, 'dangling'), 'write', 403, 'path_outside_target', 'dangling_symlink'],
    ['a NUL byte', () => `${work}/hello.txt\u0000.jpg`, 'read', 403, 'path_outside_target', 'nul_byte'],
    ['a Windows device name', () => path.join(work, 'CON'), 'write', 403, 'path_outside_target', 'device_name'],
    ['a device name with an extension', () => path.join(work, 'nul.txt'), 'write', 403, 'path_outside_target', 'device_name'],
    ['COM1 with an extension', () => path.join(work, 'com1.log'), 'read', 403, 'path_outside_target', 'device_name'],
    ['a segment too long for the filesystem', () => path.join(work, 'x'.repeat(300)), 'write', 400, 'invalid_request', 'name_too_long'],
    ['a path longer than the contract allows', () => `${work}/${'a/'.repeat(2100)}`, 'read', 400, 'invalid_request', undefined],
  ])('%s', async (_, requested, mode, status, code, reason) => {
    const call = mode === 'read' ? read({ path: requested() }) : write({ path: requested(), content: 'x', overwrite: true });
    const refused = await refusal(call);
    expect(refused).toMatchObject({ status, code });
    if (reason) expect(refused?.reason).toBe(reason);
  });

  it('left everything outside untouched', async () => {
    expect(await readFile(path.join(tmp, 'outside', 'secret.txt'), 'utf8')).toBe('secret');
    expect((await readdir(path.join(tmp, 'outside'))).sort()).toEqual(['secret.txt']);
  });
});

describe('directory listing, under the rules of a read', () => {
  let tree: string;
  const list = (body: { path: string; limit?: number }) => b.app.api.filesystemList({ body });

  beforeAll(async () => {
    tree = path.join(work, 'tree');
    await mkdir(path.join(tree, 'sub'), { recursive: true });
    await writeFile(path.join(tree, 'b.txt'), 'b');
    await writeFile(path.join(tree, 'a.txt'), 'a');
    await symlink(path.join(tree, 'a.txt'), path.join(tree, 'link-to-a'));
    await symlink(docs, path.join(tree, 'link-to-docs'));
    await symlink(path.join(tmp, 'outside', 'secret.txt'), path.join(tree, 'link-out-file'));
    await symlink(path.join(tmp, 'outside'), path.join(tree, 'link-out-dir'));
    await symlink(path.join(tmp, 'outside', 'missing'), path.join(tree, 'dangling'));
    await execFileAsync('mkfifo', [path.join(tree, 'fifo')]);
  });

  it('lists files and directories by name, symlinks inside a target as what they point to', async () => {
    expect(await list({ path: tree })).toEqual({
      path: tree,
      entries: [
        { name: 'a.txt', type: 'file', path: path.join(tree, 'a.txt') },
        { name: 'b.txt', type: 'file', path: path.join(tree, 'b.txt') },
        { name: 'link-to-a', type: 'file', path: path.join(tree, 'link-to-a') },
        { name: 'link-to-docs', type: 'directory', path: path.join(tree, 'link-to-docs') },
        { name: 'sub', type: 'directory', path: path.join(tree, 'sub') },
      ],
      // The links out and the dangling one, which no read could follow, and the FIFO.
      skipped: 4,
      truncated: false,
    });
  });

  it('lists a read-only target too, and says when it cut the listing at the limit', async () => {
    expect(await list({ path: docs })).toMatchObject({ entries: [{ name: 'readme.md', type: 'file' }], truncated: false });
    expect(await list({ path: tree, limit: 2 })).toMatchObject({ entries: [{ name: 'a.txt' }, { name: 'b.txt' }], truncated: true });
  });

  it('lists the destination of a symlinked directory inside a target at its real path', async () => {
    expect(await list({ path: path.join(tree, 'link-to-docs') })).toMatchObject({ path: docs, entries: [{ name: 'readme.md', path: path.join(docs, 'readme.md') }] });
  });

  it.each<[string, () => string, number, string, string | undefined]>([
    ['a directory outside every target', () => path.join(tmp, 'outside'), 403, 'path_outside_target', 'outside_targets'],
    ['a ".." climb', () => `${tree}/../../outside`, 403, 'path_outside_target', 'dot_dot_segment'],
    ['a symlinked directory pointing out', () => path.join(tree, 'link-out-dir'), 403, 'path_outside_target', 'symlink_escape'],
    ['a relative path', () => 'tree', 403, 'path_outside_target', 'not_absolute'],
    ['a file', () => path.join(tree, 'a.txt'), 400, 'invalid_request', 'not_directory'],
    ['a missing directory', () => path.join(tree, 'nope'), 404, 'not_found', undefined],
  ])('refuses %s', async (_, requested, status, code, reason) => {
    const refused = await refusal(list({ path: requested() }));
    expect(refused).toMatchObject({ status, code });
    if (reason) expect(refused?.reason).toBe(reason);
  });
});

describe('atomic write under a concurrent reader', () => {
  it('every read over HTTP sees a whole version, old or new', async () => {
    const file = path.join(work, 'contended.txt');
    const versions = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'].map((letter) => letter.repeat(1000));
    await write({ path: file, content: versions[0]! });
    let writing = true;
    const seen: string[] = [];
    const reader = (async () => {
      while (writing) seen.push((await read({ path: file })).content);
    })();
    for (const version of versions.slice(1)) await write({ path: file, content: version, overwrite: true });
    writing = false;
    await reader;
    expect(seen.length).toBeGreaterThan(0);
    for (const content of seen) expect(versions).toContain(content);
  });
});
