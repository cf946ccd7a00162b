import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeStaleTempFiles } from '../../src/config/stale-temp-files.js';

describe('removeStaleTempFiles', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'osloop-temps-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('removes the temp files an interrupted atomic write left, and nothing else', async () => {
    for (const name of ['config.json', 'config.json.3304978057', 'config.json.12', 'config.json.bak', 'config.json.12x', 'mcp-servers.json.471277875', 'other.json.5']) {
      await writeFile(path.join(dir, name), '{}');
    }
    expect((await removeStaleTempFiles(path.join(dir, 'config.json'))).sort()).toEqual(['config.json.12', 'config.json.3304978057']);
    expect((await readdir(dir)).sort()).toEqual(['config.json', 'config.json.12x', 'config.json.bak', 'mcp-servers.json.471277875', 'other.json.5']);
  });

  it('does nothing when the directory does not exist yet', async () => {
    expect(await removeStaleTempFiles(path.join(dir, 'absent', 'config.json'))).toEqual([]);
  });
});
