import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateTool, versionFrom } from '../../src/system/locate.js';
import { detectPackageManagers } from '../../src/system/package-managers.js';

let bin: string;
const script = async (name: string, body: string, mode = 0o755) => {
  await writeFile(path.join(bin, name), `#!/bin/sh\n${body}\n`);
  await chmod(path.join(bin, name), mode);
};

beforeAll(async () => {
  bin = await mkdtemp(path.join(os.tmpdir(), 'system-locate-'));
  await script('fake-tool', 'echo "fake-tool version 1.2.3 (built today)"');
  await script('stderr-tool', 'echo "openjdk version 17.0.2" >&2');
  await script('slow-tool', 'sleep 30');
  await script('go', '[ "$1" = version ] && echo "go version go1.22.1 linux/amd64"');
  await script('npm', 'echo 10.8.2');
  await script('brew', 'echo "Homebrew 4.3.0"');
  await script('apt-get', 'echo "apt 2.6.1 (amd64)"');
  await script('not-executable', 'echo 1.0', 0o644);
});
afterAll(() => rm(bin, { recursive: true, force: true }));

const options = () => ({ searchPath: bin, env: { PATH: `${bin}:/usr/bin:/bin` }, timeoutMs: 2_000 });

describe('locateTool', () => {
  it('finds a tool on the given PATH with its version', async () => {
    expect(await locateTool('fake-tool', options())).toEqual({ name: 'fake-tool', installed: true, path: path.join(bin, 'fake-tool'), version: '1.2.3' });
  });

  it('reads a version printed on stderr', async () => {
    expect((await locateTool('stderr-tool', options())).version).toBe('17.0.2');
  });

  it('uses the tool\'s own version argument (go version)', async () => {
    expect((await locateTool('go', options())).version).toBe('1.22.1');
  });

  it('reports a tool that does not answer in time as installed with no version', async () => {
    // The tool sleeps 30 s, longer than the test may take: only the probe's bound lets it pass.
    const result = await locateTool('slow-tool', { ...options(), timeoutMs: 200 });
    expect(result).toMatchObject({ installed: true, version: null });
  });

  it.each(['not-executable', 'no-such-tool'])('reports %s as not installed', async (name) => {
    expect(await locateTool(name, options())).toEqual({ name, installed: false, path: null, version: null });
  });
});

describe('versionFrom', () => {
  it.each([
    ['git version 2.39.5\n', '2.39.5'],
    ['\n\nPython 3.12.1', '3.12.1'],
    ['v20.20.2', '20.20.2'],
    ['1.0.0-beta.2+build', '1.0.0-beta.2+build'],
    ['no number here', 'no number here'],
    ['', null],
  ])('reads %j as %j', (output, expected) => {
    expect(versionFrom(output)).toBe(expected);
  });
});

describe('detectPackageManagers', () => {
  it('lists the package managers present, for this platform only, with versions', async () => {
    const found = await detectPackageManagers({ ...options(), platform: 'linux' });
    expect(found).toEqual([
      { name: 'brew', version: '4.3.0', path: path.join(bin, 'brew') },
      { name: 'apt', version: '2.6.1', path: path.join(bin, 'apt-get') },
      { name: 'npm', version: '10.8.2', path: path.join(bin, 'npm') },
      { name: 'go', version: '1.22.1', path: path.join(bin, 'go') },
    ]);
  });

  it('does not take macOS\'s /usr/bin/apt (a Java tool) for a package manager', async () => {
    const found = await detectPackageManagers({ ...options(), platform: 'darwin' });
    expect(found.map((pm) => pm.name)).toEqual(['brew', 'npm', 'go']);
  });
});
