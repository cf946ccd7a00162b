import { execa } from 'execa';
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
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

/** The cache file this build and this Node would use: named by the id on the bundle's first line. */
async function expectedCacheFile(): Promise<string> {
  const id = /^\/\/ osloop-bridge bundle ([0-9a-f]+)\n/.exec(await readFile(BUNDLE, 'utf8'))?.[1];
  expect(id).toBeDefined();
  return path.join(cacheDir(), `${id}-${process.version}-${process.arch}.bin`);
}

/** Starts the compiled CLI, waits for a 200 on /health, stops it with SIGTERM and waits for its exit. */
async function startAnswerAndStop(extraEnv: Record<string, string> = {}): Promise<void> {
  const port = await freePort();
  const bridge = execa('node', [COMPILED_BIN, 'start', '--port', String(port)], { env: { ...env(), ...extraEnv }, reject: false, forceKillAfterDelay: 45_000 });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    bridge.stdout.on('data', (chunk: Buffer) => {
      out += String(chunk);
      if (out.includes('UI token written')) resolve();
    });
    void bridge.then((r) => reject(new Error(`bridge exited early (${r.exitCode ?? r.signal}): ${out}${String(r.stderr)}`)));
  });
  expect((await fetch(`http://127.0.0.1:${port}/api/v1/health`)).status).toBe(200);
  bridge.kill('SIGTERM');
  expect((await bridge).exitCode).toBe(0);
}

describe('the CLI bundle\'s code cache', () => {
  it('is written by a first start, privately, named by the bundle\'s id and the Node version', async () => {
    await startAnswerAndStop();
    const file = await expectedCacheFile();
    expect(await readdir(cacheDir())).toEqual([path.basename(file)]);
    const written = await stat(file);
    expect(written.size).toBeGreaterThan(100_000);
    expect(written.mode & 0o077).toBe(0);
    expect((await stat(cacheDir())).mode & 0o077).toBe(0);
  }, 120_000);

  it('is taken by the next start, which therefore leaves it as it was', async () => {
    await startAnswerAndStop();
    const file = await expectedCacheFile();
    const first = await stat(file);
    await startAnswerAndStop();
    // A cache V8 refused would be written again (a new file renamed into place).
    const second = await stat(file);
    expect({ ino: second.ino, mtimeMs: second.mtimeMs }).toEqual({ ino: first.ino, mtimeMs: first.mtimeMs });
  }, 180_000);

  it('replaces a corrupt cache, and the start from it still answers', async () => {
    const file = await expectedCacheFile();
    await rm(cacheDir(), { recursive: true, force: true });
    await execa('mkdir', ['-p', '-m', '700', cacheDir()]);
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
    expect((await readdir(cacheDir())).sort()).toEqual([path.basename(await expectedCacheFile()), path.basename(recent)].sort());
  }, 120_000);

  it('is not written by a short command such as `status`, whose compiled code a start would lack', async () => {
    const status = await execa('node', [COMPILED_BIN, 'status', '--port', String(await freePort())], { env: env(), reject: false });
    expect(status.stderr + status.stdout).toContain('No bridge answers');
    await expect(readdir(cacheDir())).rejects.toMatchObject({ code: 'ENOENT' });
  }, 60_000);

  it('is neither read nor written under NODE_DISABLE_COMPILE_CACHE=1', async () => {
    await startAnswerAndStop({ NODE_DISABLE_COMPILE_CACHE: '1' });
    await expect(readdir(cacheDir())).rejects.toMatchObject({ code: 'ENOENT' });
  }, 120_000);
});
