import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVERYTHING_ENTRY } from '../fixtures/mcp/everything.js';
import { startMcpE2e, type McpE2e } from './mcp-support.js';

describe.runIf(process.platform !== 'win32')('a stdio MCP server on the login-shell PATH', () => {
  let e2e: McpE2e;
  let toolDir: string;
  const saved = { SHELL: process.env.SHELL, FAKE_LOGIN_PATH_DIR: process.env.FAKE_LOGIN_PATH_DIR };

  beforeAll(async () => {
    // A server command only the user's login shell knows about, like `npx` from nvm for a
    // bridge started from the desktop.
    toolDir = await mkdtemp(path.join(os.tmpdir(), 'osloop-mcp-login-'));
    await writeFile(path.join(toolDir, 'osloop-login-only-mcp'), `#!/bin/sh\nexec "${process.execPath}" "${EVERYTHING_ENTRY}" stdio\n`);
    await chmod(path.join(toolDir, 'osloop-login-only-mcp'), 0o755);
    process.env.SHELL = fileURLToPath(new URL('../fixtures/fake-login-shell.sh', import.meta.url));
    process.env.FAKE_LOGIN_PATH_DIR = toolDir;
    e2e = await startMcpE2e({ commandPath: 'login_shell' });
  });
  afterAll(async () => {
    await e2e?.close();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await rm(toolDir, { recursive: true, force: true });
  });

  it('finds and starts it', async () => {
    const { api } = e2e.client;
    expect(process.env.PATH?.split(path.delimiter)).not.toContain(toolDir);
    const transport = { type: 'stdio' as const, command: 'osloop-login-only-mcp', args: [], template: { command: 'osloop-login-only-mcp', args: [] } };
    const { serverId } = await api.mcpServersRegister({ body: { name: 'login-only', transport } });
    const { promptId } = await api.mcpServersConnect({ params: { serverId } });
    await api.systemPermissionsPromptsResolve({ params: { requestId: promptId! }, body: { decision: 'allow_once' } });
    await e2e.waitForState(serverId, 'connected');
    expect(await api.mcpCall({ body: { serverId, tool: 'echo', arguments: { message: 'found' } } })).toMatchObject({ content: [{ text: 'Echo: found' }] });
  });
});
