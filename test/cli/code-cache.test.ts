import { execa } from 'execa';
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { untilCliStarted } from '../support/cli-started.js';
import { COMPILED_BIN, ensureCompiled } from '../support/compiled-bin.js';
import { freePort } from '../support/free-port.js';

// bin/code-cache.js: the bundle runs from a V8 code cache in the user's cache folder (Node 20 has
// no compile cache of its own). Each test has its own home and its own XDG_CACHE_HOME.
const BUNDLE = path.join(path.dirname(COMPILED_BIN), '../dist/bundle/main.cjs');
beforeAll(ensureCompiled);
let home: string;
let cacheHome: string;
beforeEach(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'osloop-cli-'));
  cacheHome = await mkdtemp(path.join(os.tmpdir(), 'osloop-cache-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
  await rm(cacheHome, { recursive: true, force: true });
});

const cacheDir = () => path.join(cacheHome, 'osloop-bridge', 'code-cache');
const env = () => ({ OSLOOP_BRIDGE_HOME: home, XDG_CACHE_HOME: cacheHome, OSLOOP_LOG_LEVEL: 'info' });

/** The one cache file in the folder, checked to be named by the bundle's id, this Node and a hash of its options. */
async function theCacheFile(): Promise<string> {
  const id = /^\/\/ osloop-bridge bundle ([0-9a-f]+)\n/.exec(await readFile(BUNDLE, 'utf8'))?.[1];
  expect(id).toBeDefined();
  const names = (await readdir(cacheDir())).filter((name) => name.startsWith(`${id}-`));
  expect(names).toHaveLength(1);
  expect(names[0]).toMatch(new RegExp(`^${id}-${process.version.replaceAll('.', '\\.')}-${process.arch}-[0-9a-f]{8}\\.bin$`));
  return path.join(cacheDir(), names[0]!);
}

/** Starts the compiled CLI, waits for a 200 on /health, stops it with SIGTERM and waits for its exit. */
async function startAnswerAndStop(extraEnv: Record<string, string> = {}, nodeArgs: string[] = []): Promise<void> {
  const port = await freePort();
  const bridge = execa('node', [...nodeArgs, COMPILED_BIN, 'start', '--port', String(port)], { env: { ...env(), ...extraEnv }, reject: false, forceKillAfterDelay: 45_000 });
  await untilCliStarted(bridge);
  expect((await fetch(`http://127.0.0.1:${port}/api/v1/health`)).status).toBe(200);
  bridge.kill('SIGTERM');
  expect((await bridge).exitCode).toBe(0);
}

describe('the CLI bundle\'s code cache', () => {
  it('is written by a first start, privately, named by the bundle\'s id and the Node version', async () => {
    await startAnswerAndStop();
    const file = await theCacheFile();
    expect(await readdir(cacheDir())).toEqual([path.basename(file)]);
    const written = await stat(file);
    expect(written.size).toBeGreaterThan(100_000);
    expect(written.mode & 0o077).toBe(0);
    expect((await stat(cacheDir())).mode & 0o077).toBe(0);
  }, 120_000);

  it('is taken by the next start, which therefore leaves it as it was', async () => {
    await startAnswerAndStop();
    const file = await theCacheFile();
    const first = await stat(file);
    await startAnswerAndStop();
    // A cache V8 refused would be written again (a new file renamed into place).
    const second = await stat(file);
    expect({ ino: second.ino, mtimeMs: second.mtimeMs }).toEqual({ ino: first.ino, mtimeMs: first.mtimeMs });
  }, 180_000);

  it('is kept apart for other node options, which V8 would refuse it under, so neither start writes over the other\'s', async () => {
    await startAnswerAndStop();
    const plain = await theCacheFile();
    const plainWritten = await stat(plain);
    await startAnswerAndStop({}, ['--max-semi-space-size=8']);
    await startAnswerAndStop({}, ['--max-semi-space-size=8']);
    const names = await readdir(cacheDir());
    expect(names).toHaveLength(2);
    const other = path.join(cacheDir(), names.find((name) => name !== path.basename(plain))!);
    const otherWritten = await stat(other);
    await startAnswerAndStop();
    await startAnswerAndStop({}, ['--max-semi-space-size=8']);
    expect((await stat(plain)).mtimeMs).toBe(plainWritten.mtimeMs);
    expect((await stat(other)).mtimeMs).toBe(otherWritten.mtimeMs);
  }, 240_000);

  it('replaces a corrupt cache, and the start from it still answers', async () => {
    await startAnswerAndStop();
    const file = await theCacheFile();
    const garbage = Buffer.alloc(4096, 0x5a);
    await writeFile(file, garbage);
    await startAnswerAndStop();
    const replaced = await readFile(file);
    expect(replaced.length).toBeGreaterThan(100_000);
    expect(replaced.subarray(0, garbage.length).equals(garbage)).toBe(false);
  }, 120_000);

  it('when written, removes the caches of other builds not written for a day, and keeps recent ones', async () => {
    await execa('mkdir', ['-p', '-m', '700', cacheDir()]);
    const old = path.join(cacheDir(), `0123456789abcdef-${process.version}-${process.arch}.bin`);
    const recent = path.join(cacheDir(), `fedcba9876543210-${process.version}-${process.arch}.bin`);
    await writeFile(old, 'old build');
    await writeFile(recent, 'another checkout');
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 60 * 60_000);
    await utimes(old, twoDaysAgo, twoDaysAgo);
    await startAnswerAndStop();
    expect((await readdir(cacheDir())).sort()).toEqual([path.basename(await theCacheFile()), path.basename(recent)].sort());
  }, 120_000);

  it('is not written by a short command, `start --help` or a start refused at once, whose compiled code a start would lack', async () => {
    const status = await execa('node', [COMPILED_BIN, 'status', '--port', String(await freePort())], { env: env(), reject: false });
    expect(status.stderr + status.stdout).toContain('No bridge answers');
    const help = await execa('node', [COMPILED_BIN, 'start', '--help'], { env: env(), reject: false });
    expect(help.stdout).toContain('--port');
    const badPort = await execa('node', [COMPILED_BIN, 'start', '--port', 'eighty'], { env: env(), reject: false });
    expect(badPort.exitCode).not.toBe(0);
    expect(badPort.stderr).toContain('"eighty"');
    await expect(readdir(cacheDir())).rejects.toMatchObject({ code: 'ENOENT' });
  }, 60_000);

  it('is neither read nor written under NODE_DISABLE_COMPILE_CACHE=1', async () => {
    await startAnswerAndStop({ NODE_DISABLE_COMPILE_CACHE: '1' });
    await expect(readdir(cacheDir())).rejects.toMatchObject({ code: 'ENOENT' });
  }, 120_000);
});
