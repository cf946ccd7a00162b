import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { COMPILED_BIN, ensureCompiled } from '../support/compiled-bin.js';

/** The CLI users run (`bin/osloop-bridge.js` → dist/), built from the current sources first. */
export const BIN = COMPILED_BIN;
await ensureCompiled();

/** A fresh bridge home whose config file names `port`. */
export async function homeWithPort(port: number): Promise<string> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'osloop-cli-'));
  await writeFile(path.join(home, 'config.json'), JSON.stringify({ port }));
  return home;
}

/** Runs the real CLI (`bin/osloop-bridge.js`) as a user would, with `env` on top of this one. */
export function cli(args: string[], env: Record<string, string>) {
  return execa(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, reject: false, timeout: 90_000 });
}
