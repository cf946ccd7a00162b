import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DEFAULT_COMMAND_TIMEOUT_MS } from '../../src/contract/constants.js';
import { LONG_POLL_MARGIN_MS } from '../../src/contract/routes/commands.js';
import { commandPairOf, runTitleOf } from '../../src/contract/routes/commands.js';
import { ROUTES, ROUTE_LIST, type RouteName } from '../../src/contract/routes/index.js';

/** The 35 routes of the seed README, as it spells them. */
const SEED_ROUTES = [
  ['GET', '/api/v1/health', false],
  ['POST', '/api/v1/session/handshake', false],
  ['POST', '/api/v1/session/refresh', false],
  ['GET', '/api/v1/bridge/info', true],
  ['GET', '/api/v1/capabilities', true],
  ['GET', '/api/v1/mcp/servers', true],
  ['POST', '/api/v1/mcp/servers', true],
  ['PATCH', '/api/v1/mcp/servers/:serverId', true],
  ['DELETE', '/api/v1/mcp/servers/:serverId', true],
  ['POST', '/api/v1/mcp/servers/:serverId/connect', true],
  ['POST', '/api/v1/mcp/servers/:serverId/disconnect', true],
  ['GET', '/api/v1/mcp/servers/:serverId/capabilities', true],
  ['POST', '/api/v1/mcp/call', true],
  ['GET', '/api/v1/awake/status', true],
  ['POST', '/api/v1/awake/acquire', true],
  ['POST', '/api/v1/awake/release', true],
  ['GET', '/api/v1/filesystem/targets', true],
  ['POST', '/api/v1/filesystem/select', true],
  ['POST', '/api/v1/filesystem/read', true],
  ['POST', '/api/v1/filesystem/write', true],
  ['GET', '/api/v1/system/info', true],
  ['GET', '/api/v1/system/tools', true],
  ['POST', '/api/v1/system/tools/locate', true],
  ['POST', '/api/v1/system/tools/install', true],
  ['GET', '/api/v1/system/tools/recipes', true],
  ['POST', '/api/v1/system/tools/recipes/resolve', true],
  ['POST', '/api/v1/system/commands/execute', true],
  ['GET', '/api/v1/system/commands/runs', true],
  ['GET', '/api/v1/system/commands/runs/:runId', true],
  ['POST', '/api/v1/system/commands/runs/:runId/terminate', true],
  ['GET', '/api/v1/system/permissions/commands', true],
  ['GET', '/api/v1/system/permissions/commands/:ruleId', true],
  ['DELETE', '/api/v1/system/permissions/commands/:ruleId', true],
  ['POST', '/api/v1/system/permissions/prompts/:requestId/resolve', true],
  ['GET', '/api/v1/bridge/runtime', true],
] as const;

const command = { command: 'git', args: ['status'] };

/** A minimal valid body for every route that takes one. */
const VALID_BODIES: Partial<Record<RouteName, Record<string, unknown>>> = {
  sessionHandshake: { clientName: 'test' },
  sessionRefresh: { sessionToken: 'token' },
  mcpServersRegister: { name: 'everything', transport: { type: 'stdio', ...command, template: command } },
  mcpServersUpdate: { options: { autoConnect: true } },
  mcpCall: { serverId: 'srv_1', tool: 'echo', arguments: { message: 'hi' } },
  mcpResourcesRead: { serverId: 'srv_1', uri: 'demo://resource/static/document/architecture.md' },
  mcpResourcesSubscribe: { serverId: 'srv_1', uri: 'demo://resource/static/document/architecture.md' },
  mcpResourcesUnsubscribe: { serverId: 'srv_1', uri: 'demo://resource/static/document/architecture.md' },
  mcpPromptsGet: { serverId: 'srv_1', name: 'simple-prompt', arguments: {} },
  mcpComplete: { serverId: 'srv_1', ref: { type: 'ref/prompt', name: 'args-prompt' }, argument: { name: 'city', value: 'Par' } },
  mcpLoggingSetLevel: { level: 'debug' },
  mcpServerRequestsRespond: { result: { action: 'accept', content: {} } },
  awakeAcquire: { reason: 'long build' },
  awakeRelease: { lockId: 'lock_1' },
  filesystemSelect: { kind: 'directory' },
  filesystemRead: { path: '/tmp/a.txt' },
  filesystemWrite: { path: '/tmp/a.txt', content: 'hello' },
  filesystemList: { path: '/tmp' },
  systemToolsLocate: { names: ['git'] },
  systemToolsInstall: { toolId: 'jq' },
  systemToolsRecipesResolve: { tool: 'jq' },
  systemCommandsExecute: { ...command, commandTemplate: 'git', argsTemplate: ['status'], workingDirectory: null, reason: 'See what changed', requestId: 'req-1', context: { source: 'skill', skillId: 'git-helper' } },
  systemPermissionsPromptsResolve: { decision: 'allow_once' },
  uiPickersResolve: { cancelled: true },
  uiSettingsUpdate: { trayMode: true },
  uiFleetPair: { key: 'UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4', label: 'build box' },
};

/** Every JSON Schema node that declares properties but lets unknown ones through. */
function openObjects(node: unknown, at = '$'): string[] {
  if (Array.isArray(node)) return node.flatMap((item, i) => openObjects(item, `${at}[${i}]`));
  if (typeof node !== 'object' || node === null) return [];
  const record = node as Record<string, unknown>;
  const here = 'properties' in record && record.additionalProperties !== false ? [at] : [];
  return [...here, ...Object.entries(record).flatMap(([key, value]) => openObjects(value, `${at}.${key}`))];
}

/** Route parts are optional in `RouteDef`; these tests only ask for parts the route declares. */
function defined<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('route part not declared');
  return value;
}

const entries = Object.entries(ROUTES) as [RouteName, (typeof ROUTES)[RouteName]][];

describe('ROUTES', () => {
  it.each(SEED_ROUTES)('has the seed route %s %s', (method, path, authenticated) => {
    const route = ROUTE_LIST.find((r) => r.method === method && r.path === path);
    expect(route, `${method} ${path}`).toBeDefined();
    expect(route?.auth !== 'none').toBe(authenticated);
  });

  it('declares each method and path once', () => {
    const keys = ROUTE_LIST.map((route) => `${route.method} ${route.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('gives every route a unique id usable in a bus subject', () => {
    const ids = ROUTE_LIST.map((route) => route.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z][a-z0-9_.]*$/);
  });

  it('declares a params schema naming exactly the path parameters', () => {
    for (const route of ROUTE_LIST) {
      const inPath = [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]).sort();
      const declared = route.params instanceof z.ZodObject ? Object.keys(route.params.shape).sort() : [];
      expect({ route: route.id, params: declared }).toEqual({ route: route.id, params: inPath });
    }
  });

  describe('request bodies', () => {
    it('has a sample body for every route that takes one', () => {
      const withBody = entries.filter(([, route]) => 'body' in route && route.body).map(([name]) => name).sort();
      expect(Object.keys(VALID_BODIES).sort()).toEqual(withBody);
    });

    it.each(Object.entries(VALID_BODIES))('%s accepts its sample and rejects an unknown field', (name, sample) => {
      const body = (ROUTES[name as RouteName] as { body?: z.ZodType }).body;
      expect(body?.safeParse(sample).error).toBeUndefined();
      const result = body?.safeParse({ ...sample, unexpected: true });
      expect(result?.success).toBe(false);
      expect(result?.error?.issues.map((issue) => issue.code)).toContain('unrecognized_keys');
    });

    it('rejects unknown fields at every depth of bodies, params and queries', () => {
      for (const route of ROUTE_LIST) {
        for (const part of [route.body, route.params, route.query]) {
          if (!part) continue;
          expect({ route: route.id, open: openObjects(z.toJSONSchema(part, { io: 'input' })) }).toEqual({ route: route.id, open: [] });
        }
      }
    });
  });

  describe('system.commands.execute', () => {
    const body = defined(ROUTES.systemCommandsExecute.body);
    const base = VALID_BODIES.systemCommandsExecute!;

    it('defaults to no shell and the 5-minute timeout, with no maximum', () => {
      expect(body.parse(base)).toMatchObject({ shell: false, timeoutMs: DEFAULT_COMMAND_TIMEOUT_MS, keepAwake: false });
      expect(body.parse({ ...base, timeoutMs: 7 * 24 * 3600 * 1000 }).timeoutMs).toBe(604_800_000);
    });

    it.each([
      ['an argument with a NUL byte', { args: ['a\0b'], argsTemplate: ['x'] }],
      ['a template with fewer arguments', { args: ['status', '--short'] }],
      ['a template missing an env variable', { env: { TOKEN: 'secret' }, envTemplate: {} }],
      ['stdin with another template stdin', { stdin: 'data', stdinTemplate: 'other' }],
      ['the nested template object', { template: command }],
      ['a resolved command that is not an instance of its template', { command: 'sh', args: ['-c', 'touch x'] }],
      ['a title longer than 200 characters', { title: 'x'.repeat(201) }],
      ['a requestId with a space', { requestId: 'req 1' }],
      ['a context with a bidi control', { context: { skillId: 'a\u202eb' } }],
      ['a context with an unknown field', { context: { skillId: 'a', extra: 'b' } }],
      ['a context field longer than 128 characters', { context: { taskId: 't'.repeat(129) } }],
    ])('rejects %s', (_label, change) => {
      expect(body.safeParse({ ...base, ...change }).success).toBe(false);
    });

    it('accepts resolved values that differ from their template only in secret spans', () => {
      const resolved = { ...base, env: { TOKEN: 's3cr3t' }, envTemplate: { TOKEN: '__OSL_SECRET[api]__' } };
      expect(body.safeParse(resolved).success).toBe(true);
    });

    it('takes a missing template twin as "the same as resolved", and needs no title', () => {
      const parsed = body.parse({ command: 'ls', args: ['-la'], workingDirectory: '/tmp', env: { A: '1' }, stdin: 'x' });
      expect(commandPairOf(parsed).template).toEqual({ command: 'ls', args: ['-la'], cwd: '/tmp', env: { A: '1' }, stdin: 'x' });
      expect(runTitleOf(parsed, commandPairOf(parsed).template)).toBe('Run ls -la');
      expect(runTitleOf({ reason: 'Check the disk\nmore text' }, commandPairOf(parsed).template)).toBe('Check the disk');
    });

    it('reads a null workingDirectory as the home directory', () => {
      expect(commandPairOf(body.parse({ ...base, workingDirectory: null })).resolved).not.toHaveProperty('cwd');
    });
  });

  it('refuses a whitelist scope on anything but allow_and_whitelist', () => {
    const body = defined(ROUTES.systemPermissionsPromptsResolve.body);
    expect(body.safeParse({ decision: 'allow_and_whitelist', ruleArgsPrefix: 1 }).success).toBe(true);
    expect(body.safeParse({ decision: 'allow_once', ruleArgsPrefix: 1 }).success).toBe(false);
  });

  it('reads query-string lists, numbers and booleans', () => {
    const runs = defined(ROUTES.systemCommandsRunsList.query);
    const info = defined(ROUTES.systemInfo.query);
    expect(runs.parse({ state: 'running,completed', limit: '10' })).toEqual({ state: ['running', 'completed'], limit: 10 });
    expect(runs.parse({ state: ['failed', 'rejected'] }).state).toEqual(['failed', 'rejected']);
    expect(runs.safeParse({ state: 'sleeping' }).success).toBe(false);
    expect(info.parse({ refresh: 'false' })).toEqual({ refresh: false });
    expect(info.parse({ refresh: 'true' })).toEqual({ refresh: true });
  });

  it('waits for a long-polled run at least as long as it was asked to', () => {
    const route = ROUTES.systemCommandsRunsGet;
    const querySchema = defined(route.query);
    const query = querySchema.parse({ waitMs: '30000' });
    expect(route.replyTimeoutMs?.({ query, body: undefined })).toBe(30_000 + LONG_POLL_MARGIN_MS);
    expect(querySchema.safeParse({ waitMs: '999999999' }).success).toBe(false);
  });

  it('shows stdio MCP servers the same template rule as command runs', () => {
    const body = defined(ROUTES.mcpServersRegister.body);
    const transport = { type: 'stdio', command: 'npx', args: ['-y', 'server'], template: { command: 'npx', args: ['-y'] } };
    expect(body.safeParse({ name: 'x', transport }).success).toBe(false);
    const parsed = body.parse({ name: 'x', transport: { type: 'sse', url: 'http://127.0.0.1:3001/sse' } });
    expect(parsed.options).toEqual({ autoConnect: false, callTimeoutMs: 60_000, enabledTools: null });
    expect(body.safeParse({ name: 'x', transport: { type: 'sse', url: 'file:///etc/passwd' } }).success).toBe(false);
  });

  it('takes an OAuth issuer only with the pre-registered client it binds, and only as an http(s) URL', () => {
    const body = defined(ROUTES.mcpServersRegister.body);
    const register = (oauth: object) => body.safeParse({ name: 'x', transport: { type: 'streamable-http', url: 'https://mcp.example.com/mcp', oauth } }).success;
    expect(register({ clientId: 'c', clientSecret: 's', issuer: 'https://auth.example.com' })).toBe(true);
    expect(register({ issuer: 'https://auth.example.com' })).toBe(false);
    expect(register({ clientId: 'c', issuer: 'javascript:alert(1)' })).toBe(false);
  });
});
