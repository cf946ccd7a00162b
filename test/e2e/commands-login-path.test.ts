import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type Api } from './commands-support.js';

describe.runIf(process.platform !== 'win32')('commands on the login-shell PATH', () => {
  let api: Api;
  let toolDir: string;
  const saved = { SHELL: process.env.SHELL, FAKE_LOGIN_PATH_DIR: process.env.FAKE_LOGIN_PATH_DIR };

  beforeAll(async () => {
    // A tool only the user's login shell knows about (like node from nvm for a dock-launched bridge).
    toolDir = await mkdtemp(path.join(os.tmpdir(), 'osloop-login-tools-'));
    const tool = path.join(toolDir, 'osloop-login-only-tool');
    await writeFile(tool, '#!/bin/sh\necho "found on the login PATH"\n');
    await chmod(tool, 0o755);
    process.env.SHELL = fileURLToPath(new URL('../fixtures/fake-login-shell.sh', import.meta.url));
    process.env.FAKE_LOGIN_PATH_DIR = toolDir;
    api = await startApi(); // default config: commandPath login_shell
  });
  afterAll(async () => {
    await api?.bridge.close();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await rm(toolDir, { recursive: true, force: true });
  });

  it('finds an executable that only the login shell\'s PATH holds', async () => {
    expect(process.env.PATH?.split(path.delimiter)).not.toContain(toolDir);
    const execute = await api.execute('osloop-login-only-tool');
    await api.resolve(String(execute.body.promptId), 'allow_once');
    expect((await api.waitRun(String(execute.body.runId))).body).toMatchObject({ state: 'completed', stdout: { data: 'found on the login PATH\n' } });
  });
});
