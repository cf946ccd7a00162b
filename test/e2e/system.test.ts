import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeClientError } from '../../src/client/index.js';
import { collectEvents, startClientBridge, type ClientBridge } from './system-support.js';

let b: ClientBridge;
beforeAll(async () => {
  b = await startClientBridge();
});
afterAll(() => b.close());

describe('system info and tools, on this machine', () => {
  it('describes the OS, the login shell, Node and the package managers found', async () => {
    const info = await b.app.api.systemInfo();
    expect(info).toMatchObject({ platform: 'linux', os: process.platform, arch: process.arch, nodeVersion: process.version, home: expect.any(String) });
    expect(info.osVersion).not.toBe('');
    expect(info.packageManagers.map((pm) => pm.name)).toContain('npm');
    for (const pm of info.packageManagers) expect(pm.path).toMatch(/^\//);
  });

  it('serves the cached detection until asked to refresh', async () => {
    const first = await b.app.api.systemInfo();
    expect((await b.app.api.systemInfo()).detectedAt).toBe(first.detectedAt);
    const refreshed = await b.app.api.systemInfo({ query: { refresh: 'true' } });
    expect(refreshed.detectedAt > first.detectedAt).toBe(true);
  });

  it('lists the known tools, node among them with its path, and announces a refreshed inventory', async () => {
    const events = collectEvents(b.app, ['system.tools.inventory_updated']);
    const { tools } = await b.app.api.systemToolsList({ query: { refresh: 'true' } });
    const node = tools.find((tool) => tool.name === 'node');
    expect(node).toMatchObject({ installed: true, hasRecipe: true, path: expect.stringMatching(/node$/) });
    expect(tools.find((tool) => tool.name === 'curl')).toMatchObject({ hasRecipe: false });
    expect(await events.next('system.tools.inventory_updated')).toEqual({ cause: 'refresh', tools });
    events.stop();
  });

  it('locates tools by name on the login-shell PATH, in request order, in the web app\'s shape', async () => {
    const { tools } = await b.app.api.systemToolsLocate({ body: { names: ['git', 'surely-not-a-tool-here', 'node'] } });
    expect(tools.map((tool) => [tool.id, tool.status])).toEqual([
      ['git', 'installed'],
      ['surely-not-a-tool-here', 'missing'],
      ['node', 'installed'],
    ]);
    expect(tools[0]).toEqual({ id: 'git', status: 'installed', version: expect.stringMatching(/^\d+\.\d+/), path: expect.stringMatching(/\/git$/) });
    expect(tools[1]).toEqual({ id: 'surely-not-a-tool-here', status: 'missing', path: null, version: null });
  });

  it.each([
    ['a path instead of a name', { names: ['/bin/sh'] }],
    ['shell syntax', { names: ['git;rm'] }],
    ['no names', { names: [] }],
  ])('refuses %s with 400', async (_, body) => {
    await expect(b.app.api.systemToolsLocate({ body })).rejects.toMatchObject({ status: 400, code: 'invalid_request' });
  });
});

describe('install recipes', () => {
  it('lists the reviewed catalogue', async () => {
    const { recipes } = await b.app.api.systemToolsRecipesList();
    expect(recipes.map((recipe) => recipe.tool)).toEqual(expect.arrayContaining(['git', 'node', 'python', 'uv', 'docker', 'gh', 'ripgrep', 'jq', 'ffmpeg']));
  });

  it('resolves the exact steps for this machine', async () => {
    const resolved = await b.app.api.systemToolsRecipesResolve({ body: { tool: 'jq' } });
    // This Debian machine has apt-get; it runs as root, so no sudo is added.
    expect(resolved).toMatchObject({ status: 'resolved', platform: 'linux', packageManager: 'apt', steps: [{ command: expect.any(String) }, { args: expect.arrayContaining(['install', 'jq']) }] });
  });

  it('resolves for another platform', async () => {
    expect(await b.app.api.systemToolsRecipesResolve({ body: { tool: 'ripgrep', platform: 'win32' } })).toMatchObject({ status: 'resolved', packageManager: 'winget' });
  });

  it('takes the tool as `toolId`, the name installs use, the same as `tool`', async () => {
    const byToolId = await b.app.api.systemToolsRecipesResolve({ body: { toolId: 'ripgrep', platform: 'win32' } });
    expect(byToolId).toEqual(await b.app.api.systemToolsRecipesResolve({ body: { tool: 'ripgrep', platform: 'win32' } }));
    expect(byToolId).toMatchObject({ status: 'resolved', tool: 'ripgrep' });
  });

  it('refuses both names at once, or neither, with a 400', async () => {
    for (const body of [{ toolId: 'jq', tool: 'ripgrep' }, { platform: 'linux' as const }]) {
      const error = await b.app.api.systemToolsRecipesResolve({ body }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BridgeClientError);
      expect(error).toMatchObject({ status: 400, code: 'invalid_request' });
    }
  });

  it('says unsupported, with the reason, for a package manager this machine lacks', async () => {
    const resolved = await b.app.api.systemToolsRecipesResolve({ body: { tool: 'jq', packageManager: 'pacman' } });
    expect(resolved).toEqual({ status: 'unsupported', tool: 'jq', reason: 'Installing jq here needs pacman, and none is installed.' });
  });

  it('answers 404 for a tool the catalogue does not have', async () => {
    const error = await b.app.api.systemToolsRecipesResolve({ body: { tool: 'left-pad' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BridgeClientError);
    expect(error).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('has the agent CLIs and the Node package managers agents reach for', async () => {
    const { recipes } = await b.app.api.systemToolsRecipesList();
    const npmPackage = (tool: string) => recipes.find((recipe) => recipe.tool === tool)?.variants.find((variant) => variant.variantId === 'npm')?.steps.at(-1)?.args.at(-1);
    expect(Object.fromEntries(['claude-code', 'codex', 'gemini', 'pnpm', 'yarn'].map((tool) => [tool, npmPackage(tool)]))).toEqual({
      'claude-code': '@anthropic-ai/claude-code',
      codex: '@openai/codex',
      gemini: '@google/gemini-cli',
      pnpm: 'pnpm',
      yarn: 'yarn',
    });
  });

  it('reports available every capability the web app checks for', async () => {
    const { capabilities } = await b.app.api.capabilities();
    const checked = ['system_tools', 'system_info', 'filesystem', 'mcp_proxy', 'awake', 'tool_install_recipes', 'command_permissions'];
    expect(checked.filter((id) => !capabilities.some((c) => c.id === id))).toEqual([]);
    for (const id of ['system_tools', 'system_info', 'filesystem', 'mcp_proxy', 'tool_install_recipes', 'command_permissions']) {
      expect(capabilities.find((c) => c.id === id), id).toMatchObject({ available: true });
    }
  });
});
