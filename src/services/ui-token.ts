import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { newToken } from './session/token.js';

/**
 * The local UI's credential: new at every start, readable by this OS user only, like Jupyter's.
 * Whoever can read the file is the person at the keyboard.
 */
export async function writeUiToken(file: string): Promise<string> {
  const token = newToken();
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return token;
}
