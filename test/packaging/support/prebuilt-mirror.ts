import { execa } from 'execa';
import { createReadStream } from 'node:fs';
import { mkdir, copyFile, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

/**
 * Where a user's `npm install` gets better-sqlite3's native module: prebuild-install downloads
 * `better-sqlite3-v<version>-node-v<abi>-<platform>-<arch>.tar.gz` from the project's GitHub
 * releases, and only when that fails builds it from source with node-gyp. CI has no network, so
 * every install compiled SQLite (three to four minutes of both cores per Node version). This
 * serves the same artefact, packed from the module this checkout already built, at the mirror
 * URL prebuild-install reads from `npm_config_better_sqlite3_binary_host`: same URL layout, same
 * tarball layout, and a 404 for any other version, ABI, platform or architecture, on which
 * prebuild-install falls back to the source build exactly as it does without a release.
 */
export interface PrebuiltMirror {
  /** The environment of an `npm install` that should download from the mirror. */
  env: Record<string, string>;
  /** Paths asked for, and whether each was served. */
  requests: Array<{ path: string; served: boolean }>;
  close(): Promise<void>;
}

export async function startPrebuiltMirror(): Promise<PrebuiltMirror> {
  const require = createRequire(import.meta.url);
  const packageJson = require.resolve('better-sqlite3/package.json');
  const { version } = require(packageJson) as { version: string };
  const built = path.join(path.dirname(packageJson), 'build', 'Release', 'better_sqlite3.node');
  const work = await mkdtemp(path.join(os.tmpdir(), 'osloop-prebuilt-'));
  await mkdir(path.join(work, 'build', 'Release'), { recursive: true });
  await copyFile(built, path.join(work, 'build', 'Release', 'better_sqlite3.node'));
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  const tarball = path.join(work, name);
  await execa('tar', ['-czf', tarball, '-C', work, 'build']);

  const requests: PrebuiltMirror['requests'] = [];
  const expected = `/v${version}/${name}`;
  const server = http.createServer((req, res) => {
    const served = req.method === 'GET' && req.url === expected;
    requests.push({ path: req.url ?? '', served });
    if (!served) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/gzip' });
    createReadStream(tarball).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    env: { npm_config_better_sqlite3_binary_host: `http://127.0.0.1:${port}` },
    requests,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(work, { recursive: true, force: true });
    },
  };
}
