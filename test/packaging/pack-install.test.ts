import { execa, type ResultPromise } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { untilCliStarted } from '../support/cli-started.js';
import { ensureCompiled } from '../support/compiled-bin.js';
import { freePort } from '../support/free-port.js';
import { startPrebuiltMirror, type PrebuiltMirror } from './support/prebuilt-mirror.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** npm answers from its cache where it can: better-sqlite3's build is slow enough without a fetch. */
const NPM_QUIET = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];
/** Packing, installing (a native build of better-sqlite3 if its prebuilt module is not taken) and starting. */
const INSTALL_TIMEOUT_MS = 600_000;
/** Each npm step, so that a hung one is ended rather than left behind when the hook gives up. */
const STEP_TIMEOUT_MS = 420_000;

interface PackedFile {
  path: string;
}

// What a user gets from `npm pack` → `npm install -g`, run with plain node: no tsx, no TypeScript
// loader, nothing from this checkout but the tarball.
describe('the packed package, installed globally as a user would', { timeout: 120_000 }, () => {
  let work: string;
  let tarball: string;
  let packedFiles: string[];
  let prefix: string;
  let home: string;
  let files: string;
  let port: number;
  let bridge: ResultPromise | undefined;
  let bridgeLog = '';
  let mirror: PrebuiltMirror | undefined;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'osloop-pack-'));
    // dist/ is brought up to date here (under the build lock other tests share), so pack only
    // packs it; `prepare` would run the same tsc again.
    await ensureCompiled();
    const packed = await execa('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work, ...NPM_QUIET], { cwd: ROOT, timeout: STEP_TIMEOUT_MS });
    const [info] = JSON.parse(packed.stdout) as { filename: string; files: PackedFile[] }[];
    tarball = path.join(work, info!.filename);
    packedFiles = info!.files.map((file) => file.path);

    prefix = path.join(work, 'prefix');
    // better-sqlite3's prebuilt module from a local stand-in for its release downloads (no network here).
    mirror = await startPrebuiltMirror();
    await execa('npm', ['install', '-g', '--prefix', prefix, ...NPM_QUIET, tarball], { cwd: work, timeout: STEP_TIMEOUT_MS, env: mirror.env });

    home = path.join(work, 'home');
    files = path.join(work, 'files');
    await mkdir(home);
    await mkdir(files);
    await writeFile(path.join(files, 'hello.txt'), 'hello from the installed bridge');
    // A filesystem root, so that a read and a write run in the filesystem worker of this layout.
    await writeFile(path.join(home, 'config.json'), JSON.stringify({ filesystem: { roots: [{ path: files, access: 'read-write' }] } }));
    port = await freePort();
    bridge = execa(path.join(prefix, 'bin', 'osloop-bridge'), ['start', '--port', String(port)], {
      env: { OSLOOP_BRIDGE_HOME: home, OSLOOP_LOG_LEVEL: 'info' },
      cwd: work,
      reject: false,
      forceKillAfterDelay: 30_000,
    });
    await untilCliStarted(bridge, (text) => (bridgeLog += text));
  }, INSTALL_TIMEOUT_MS);

  afterAll(async () => {
    if (bridge && bridge.exitCode === null) {
      bridge.kill('SIGTERM');
      await bridge;
    }
    await mirror?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('installs better-sqlite3 the way a user gets it, as a prebuilt module downloaded for this Node', () => {
    expect(mirror?.requests).toEqual([{ path: expect.stringMatching(new RegExp(`-node-v${process.versions.modules}-`)), served: true }]);
  });

  it('ships compiled JavaScript with declarations, the CLI bundle bin/ runs, the UI and no TypeScript sources', () => {
    expect(packedFiles).toEqual(expect.arrayContaining(['bin/osloop-bridge.js', 'bin/code-cache.js', 'dist/bundle/main.cjs', 'dist/bundle/dynamic-import.cjs', 'dist/src/cli/main.js', 'dist/src/client/index.js', 'dist/src/client/index.d.ts', 'ui/resources/index.html']));
    expect(packedFiles.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
    expect(packedFiles.filter((file) => file.includes('tsbuildinfo') || file.startsWith('test/'))).toEqual([]);
  });

  it('installs without the TypeScript tool chain: tsx and typescript are development-only', () => {
    const installed = path.join(prefix, 'lib', 'node_modules', 'osloop-bridge', 'node_modules');
    expect(existsSync(path.join(installed, 'fastify'))).toBe(true);
    expect(existsSync(path.join(installed, 'tsx'))).toBe(false);
    expect(existsSync(path.join(installed, 'typescript'))).toBe(false);
  });

  it('`osloop-bridge start` from the global prefix answers /api/v1/health and serves the UI', async () => {
    const health = await fetch(`http://127.0.0.1:${port}/api/v1/health`);
    expect(health.status).toBe(200);
    const { version } = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(await health.json()).toMatchObject({ status: 'ok', protocolVersion: 'osloop.bridge.v1', bridgeVersion: version, port });
    // ui/ is found from dist/, relative to the package root.
    const page = await fetch(`http://127.0.0.1:${port}/ui/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
  });

  it('reads and writes files in the filesystem worker threads, whose entry is found from the installed package', async () => {
    const origin = `http://127.0.0.1:${port}`;
    const handshake = await fetch(`${origin}/api/v1/session/handshake`, {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json' },
      body: JSON.stringify({ clientName: 'pack-install test' }),
    });
    expect(handshake.status).toBe(201);
    const { sessionToken } = (await handshake.json()) as { sessionToken: string };
    const call = async (route: string, body: unknown) => {
      const response = await fetch(`${origin}/api/v1/filesystem/${route}`, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json', 'x-osloop-bridge-token': sessionToken },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    expect(await call('read', { path: path.join(files, 'hello.txt') })).toMatchObject({ status: 200, body: { content: 'hello from the installed bridge', size: 31 } });
    expect(await call('write', { path: path.join(files, 'new.txt'), content: 'written' })).toMatchObject({ status: 200, body: { created: true, bytesWritten: 7 } });
    expect(await readFile(path.join(files, 'new.txt'), 'utf8')).toBe('written');
    expect(await call('read', { path: path.join(work, 'home', 'config.json') })).toMatchObject({ status: 403, body: { error: { code: 'path_outside_target' } } });
  });

  it('lets a plain Node project import osloop-bridge/client and reach the installed bridge', async () => {
    const project = path.join(work, 'project');
    await execa('mkdir', ['-p', project]);
    await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'uses-osloop-bridge', private: true, type: 'module' }));
    // The client needs none of the daemon's native modules, so their build is skipped here; the
    // global install above has already built them once.
    await execa('npm', ['install', '--ignore-scripts', ...NPM_QUIET, tarball], { cwd: project, timeout: STEP_TIMEOUT_MS });
    const script = [
      "const { createBridgeClient, PROTOCOL_VERSION } = await import('osloop-bridge/client');",
      'const client = createBridgeClient({ baseUrl: process.argv[1] });',
      'const health = await client.discover();',
      // The fleet client is exported as osloop-bridge/fleet once it is part of the build.
      "const fleet = process.argv[2] === 'fleet' ? Object.keys(await import('osloop-bridge/fleet')) : null;",
      'console.log(JSON.stringify({ PROTOCOL_VERSION, health, fleet }));',
    ].join('\n');
    const withFleet = packedFiles.includes('dist/src/fleet/client/index.js') ? 'fleet' : 'no-fleet';
    const run = await execa(process.execPath, ['--input-type=module', '-e', script, `http://127.0.0.1:${port}`, withFleet], { cwd: project, reject: false });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    const out = JSON.parse(run.stdout) as { PROTOCOL_VERSION: string; health: { protocolVersion: string }; fleet: string[] | null };
    expect(out.PROTOCOL_VERSION).toBe('osloop.bridge.v1');
    expect(out.health.protocolVersion).toBe(out.PROTOCOL_VERSION);
    if (withFleet === 'fleet') expect(out.fleet?.length).toBeGreaterThan(0);
  });

  it('stops on SIGTERM with exit code 0', async () => {
    bridge!.kill('SIGTERM');
    const result = await bridge!;
    expect({ exitCode: result.exitCode, log: result.exitCode === 0 ? '' : bridgeLog }).toEqual({ exitCode: 0, log: '' });
  });
});
