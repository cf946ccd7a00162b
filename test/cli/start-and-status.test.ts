import { execa } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { untilCliStarted } from '../support/cli-started.js';
import { COMPILED_BIN, ensureCompiled } from '../support/compiled-bin.js';
import { freePort } from '../support/free-port.js';
import { tieringFlagFor } from '../../src/cli/v8-tiering.js';

const BIN = COMPILED_BIN;
beforeAll(ensureCompiled);
let home: string;
beforeEach(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'osloop-cli-'));
});
afterEach(() => rm(home, { recursive: true, force: true }));

const env = () => ({ OSLOOP_BRIDGE_HOME: home, OSLOOP_LOG_LEVEL: 'info' });

describe('osloop-bridge start / status', () => {
  it('starts, reports its state through `status`, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    // execa would SIGKILL after 5 s; an orderly stop under load (killing process trees) may take longer.
    const bridge = execa('node', [BIN, 'start', '--port', String(port)], { env: env(), reject: false, forceKillAfterDelay: 45_000 });
    await untilCliStarted(bridge);

    const status = await execa('node', [BIN, 'status', '--port', String(port), '--json'], { env: env() });
    const body = JSON.parse(status.stdout) as { activePort: number; bindState: string; uptimeMs: number; actors: Record<string, number> };
    expect(body).toMatchObject({ activePort: port, bindState: 'listening', bus: 'embedded' });
    expect(body.actors.bridge).toBe(1);

    const human = await execa('node', [BIN, 'status', '--port', String(port)], { env: env() });
    expect(human.stdout).toMatch(new RegExp(`port\\s+${port}`));
    expect(human.stdout).toMatch(/bind state\s+listening/);

    bridge.kill('SIGTERM');
    const result = await bridge;
    expect({ exitCode: result.exitCode, signal: result.signal }).toEqual({ exitCode: 0, signal: undefined });
    // Once serving it tunes V8's tiering where the flag exists (src/cli/v8-tiering.ts), and says which.
    const tiering = result.stdout.split('\n').flatMap((line) => (line.includes('"flag":') ? [JSON.parse(line) as { flag: string | null; v8: string }] : []));
    expect(tiering).toEqual([expect.objectContaining({ flag: tieringFlagFor(process.versions.v8) ?? null })]);
    expect(result.stderr).not.toMatch(/unrecognized flag/);
  });

  it('says so when no bridge answers', async () => {
    const result = await execa('node', [BIN, 'status', '--port', String(await freePort())], { env: env(), reject: false });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/No bridge answers/);
  });

  it('exits with code 2 and keeps the port when it is taken', async () => {
    const port = await freePort();
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen({ host: '127.0.0.1', port }, () => resolve()));
    try {
      const result = await execa('node', [BIN, 'start', '--port', String(port)], { env: env(), reject: false });
      expect(result.exitCode).toBe(2);
      expect(result.stdout + result.stderr).toMatch(/never picks another port/);
    } finally {
      squatter.close();
    }
  });

  it('refuses to start on a corrupt config file and leaves it untouched', async () => {
    await writeFile(path.join(home, 'config.json'), '{"port": ');
    const result = await execa('node', [BIN, 'start'], { env: env(), reject: false });
    expect(result.exitCode).toBe(78);
    expect(result.stdout + result.stderr).toMatch(/left untouched/);
  });

  it('rejects a bad --port with a message naming the value', async () => {
    const result = await execa('node', [BIN, 'start', '--port', 'abc'], { env: env(), reject: false });
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/"abc"/);
  });
});
