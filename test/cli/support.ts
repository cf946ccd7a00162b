import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/osloop-bridge.js');

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
