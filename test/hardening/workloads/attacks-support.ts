import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, realpath, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { subjectsFor } from '../../../src/bus/subjects.js';
import { ROUTES, type RouteName } from '../../../src/contract/routes/index.js';
import type { RouteDef } from '../../../src/contract/route.js';
import { handshake, startTestBridge, type TestBridge } from '../../support/test-bridge.js';

/** The web app the user allowed, a second allowed app, and the attacker's page. */
export const WEB_APP = 'https://app.osloop.example';
export const OTHER_APP = 'https://other.osloop.example';
export const EVIL = 'https://evil.example';

/** The WebSocket upgrade paths and the credential each takes in its query string. */
export const WS_PATHS = [
  { path: '/ws/v1/events', auth: 'session_or_ui' },
  { path: '/ws/v1/ui/inspector', auth: 'ui' },
] as const;

/**
 * A request per contract route that would do something if it reached its service: every body
 * valid for its schema (checked by the test), so only the guard stands between it and the route.
 * A Record over every route name: a new route does not compile until it has its sample.
 */
export function sampleRequests(target: string): Record<RouteName, { params?: Record<string, string>; query?: string; body?: unknown }> {
  const id = 'atk_0';
  const command = { command: 'touch', args: [path.join(target, 'csrf-run')], reason: 'attack' };
  return {
    health: {},
    sessionHandshake: { body: { clientName: 'attacker' } },
    sessionRefresh: { body: { sessionToken: 'x'.repeat(43) } },
    bridgeInfo: {},
    capabilities: {},
    bridgeRuntime: {},
    mcpServersList: {},
    mcpServersRegister: { body: { name: 'attacker', transport: { type: 'stdio', command: 'touch', args: ['pwned'], template: { command: 'touch', args: ['pwned'] } } } },
    mcpServersUpdate: { params: { serverId: id }, body: { name: 'renamed' } },
    mcpServersRemove: { params: { serverId: id } },
    mcpServersConnect: { params: { serverId: id } },
    mcpServersDisconnect: { params: { serverId: id } },
    mcpServersCapabilities: { params: { serverId: id } },
    mcpCall: { body: { serverId: id, tool: 'echo', arguments: {} } },
    mcpResourcesRead: { body: { serverId: id, uri: 'file:///etc/passwd' } },
    mcpResourceTemplates: { params: { serverId: id } },
    mcpResourcesSubscribe: { body: { serverId: id, uri: 'file:///etc/passwd' } },
    mcpResourcesUnsubscribe: { body: { serverId: id, uri: 'file:///etc/passwd' } },
    mcpPromptsGet: { body: { serverId: id, name: 'p', arguments: {} } },
    mcpComplete: { body: { serverId: id, ref: { type: 'ref/prompt', name: 'p' }, argument: { name: 'a', value: '' } } },
    mcpLoggingSetLevel: { params: { serverId: id }, body: { level: 'debug' } },
    mcpServerLogs: { params: { serverId: id } },
    mcpCallsCancel: { params: { callId: id } },
    mcpServerRequestsList: {},
    mcpServerRequestsRespond: { params: { requestId: id }, body: { result: { action: 'accept', content: {} } } },
    mcpServersAuthorize: { params: { serverId: id } },
    // A forged redirect: a state no consent waits for.
    mcpOauthCallback: { query: 'state=forged&code=stolen' },
    awakeStatus: {},
    awakeAcquire: { body: { reason: 'attack' } },
    awakeRelease: { body: { lockId: id } },
    filesystemTargets: {},
    filesystemSelect: { body: { kind: 'file' } },
    filesystemRead: { body: { path: path.join(target, 'secret.txt') } },
    filesystemWrite: { body: { path: path.join(target, 'csrf-written.txt'), content: 'pwned' } },
    filesystemPickersGet: { params: { pickerId: id } },
    filesystemList: { body: { path: target } },
    systemInfo: {},
    systemToolsList: {},
    systemToolsLocate: { body: { names: ['node'] } },
    systemToolsInstall: { body: { toolId: 'jq' } },
    systemToolsRecipesList: {},
    systemToolsRecipesResolve: { body: { tool: 'jq' } },
    systemCommandsExecute: { body: command },
    systemCommandsRunsList: {},
    systemCommandsRunsGet: { params: { runId: id } },
    systemCommandsRunsTerminate: { params: { runId: id } },
    systemPermissionsRulesList: {},
    systemPermissionsRulesGet: { params: { ruleId: id } },
    systemPermissionsRulesDelete: { params: { ruleId: id } },
    systemPermissionsPromptsResolve: { params: { requestId: id }, body: { decision: 'allow_and_whitelist' } },
    uiConnectionLog: {},
    uiActors: {},
    uiStatus: {},
    uiPrompts: {},
    uiDecisions: {},
    uiSettingsGet: {},
    uiSettingsUpdate: { body: { allowedOrigins: [EVIL], approvalsLocalOnly: false, denyList: [] } },
    uiMachines: {},
    uiSessionsList: {},
    uiSessionsRevoke: { params: { sessionId: id } },
    uiPickersList: {},
    uiPickersResolve: { params: { pickerId: id }, body: { cancelled: true } },
    uiFleetList: {},
    uiFleetPair: { body: { key: 'UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4', label: 'attacker' } },
    uiFleetUnpair: { params: { key: 'UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4' } },
  };
}

export interface RouteCase {
  name: RouteName;
  route: RouteDef;
  method: string;
  path: string;
  body: string | undefined;
}

/** Every contract route as a concrete request (params filled, sample body as JSON). */
export function routeCases(target: string): RouteCase[] {
  const samples = sampleRequests(target);
  return (Object.keys(ROUTES) as RouteName[]).map((name) => {
    const route = ROUTES[name] as RouteDef;
    const sample = samples[name];
    const filled = route.path.replace(/:([A-Za-z]+)/g, (_, key: string) => sample.params?.[key] ?? 'atk_0');
    return { name, route, method: route.method, path: sample.query ? `${filled}?${sample.query}` : filled, body: sample.body === undefined ? undefined : JSON.stringify(sample.body) };
  });
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** `error.code` of a structured bridge error, if the body is one. */
  code: string | null;
}

const codeOf = (body: string): string | null => {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown } | string; code?: unknown };
    // The bridge's structured error, or fastify's own (`{ error: "Bad Request", code: "FST_…" }`).
    const code = typeof parsed.error === 'object' ? parsed.error.code : parsed.code;
    return typeof code === 'string' ? code : null;
  } catch {
    return null;
  }
};

/**
 * One HTTP request with exactly these headers (`Host` included: `setHost` is off), so a test can
 * send what a browser on a rebinding domain or a foreign page would.
 */
export function send(port: number, method: string, requestPath: string, headers: Record<string, string | string[]>, body?: string, agent?: http.Agent): Promise<Reply> {
  return new Promise((resolve, reject) => {
    // An explicit length: Node frames a DELETE body by nothing otherwise, and the server would read it as the next request.
    const framed = body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) };
    const request = http.request({ host: '127.0.0.1', port, method, path: requestPath, headers: framed, setHost: false, agent: agent ?? false }, (response) => {
      let data = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (data += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: data, code: codeOf(data) }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

export interface UpgradeOutcome {
  /** 101: the socket was opened (the attack got through). */
  upgraded: boolean;
  status: number;
  headers: http.IncomingHttpHeaders;
  code: string | null;
}

/** A WebSocket handshake by hand, so Host and Origin can be anything. */
export function upgrade(port: number, requestPath: string, headers: Record<string, string>): Promise<UpgradeOutcome> {
  return new Promise((resolve, reject) => {
    const request = http.request({
      host: '127.0.0.1',
      port,
      path: requestPath,
      setHost: false,
      agent: false,
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': randomBytes(16).toString('base64'), ...headers },
    });
    request.on('upgrade', (response, socket) => {
      socket.destroy();
      resolve({ upgraded: true, status: response.statusCode ?? 0, headers: response.headers, code: null });
    });
    request.on('response', (response) => {
      let data = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (data += chunk));
      response.on('end', () => resolve({ upgraded: false, status: response.statusCode ?? 0, headers: response.headers, code: codeOf(data) }));
    });
    request.on('error', reject);
    request.end();
  });
}

export interface RawExchange {
  /** Every response read off the socket, in order (pipelined ones included). */
  responses: Array<{ status: number; head: string; body: string; code: string | null }>;
  /** The server closed the connection (rather than the client timing out). */
  closedByServer: boolean;
}

/** Writes bytes as they are (no header validation) and reads every response until close or `waitMs`. */
export function rawExchange(port: number, text: string, options: { waitMs?: number; responses?: number } = {}): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let data = Buffer.alloc(0);
    let done = false;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ responses: parseResponses(data.toString('latin1')), closedByServer });
    };
    const timer = setTimeout(() => finish(false), options.waitMs ?? 1500);
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      // Every expected response is in: no need to wait for a keep-alive socket to time out.
      if (parseResponses(data.toString('latin1')).length >= (options.responses ?? Infinity)) finish(false);
    });
    socket.on('error', () => {});
    socket.on('close', () => finish(true));
    socket.write(text, 'latin1');
  });
}

function parseResponses(text: string): RawExchange['responses'] {
  const out: RawExchange['responses'] = [];
  let rest = text;
  while (rest.startsWith('HTTP/1.')) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const head = rest.slice(0, end);
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
    if (rest.length < end + 4 + length) break;
    const body = rest.slice(end + 4, end + 4 + length);
    out.push({ status: Number(head.split(' ')[1]), head, body, code: codeOf(body) });
    rest = rest.slice(end + 4 + length);
  }
  return out;
}

/** Counts every request that reached a route's service on the bus: the proof a route was never reached. */
export function countRouteDispatches(bridge: TestBridge): { readonly count: number; readonly routes: string[]; stop(): void } {
  const subjects = subjectsFor(bridge.bridgeId);
  const prefix = `${subjects.root}.rpc.`;
  const routes: string[] = [];
  const subscription = bridge.bus.subscribe(`${subjects.root}.rpc.>`, (message) => {
    routes.push(message.subject.slice(prefix.length));
  });
  return {
    get count() {
      return routes.length;
    },
    routes,
    stop: () => subscription.unsubscribe(),
  };
}

export interface AttackBridge {
  bridge: TestBridge;
  port: number;
  /** A read-write filesystem target; `outside` is its sibling, in no target. */
  target: string;
  outside: string;
  /** A web-app session of WEB_APP, and one of OTHER_APP (both allowed). */
  webApp: { token: string; sessionId: string; headers: Record<string, string> };
  otherApp: { token: string; sessionId: string; headers: Record<string, string> };
  host: string;
  /** Keep-alive connections for the attack requests (each still a separate request). */
  agent: http.Agent;
  close(): Promise<void>;
}

/** A real bridge with two allowed web apps, a read-write target and an empty directory outside it. */
export async function startAttackBridge(): Promise<AttackBridge> {
  const root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'osloop-attacks-')));
  const target = path.join(root, 'target');
  const outside = path.join(root, 'outside');
  await mkdir(target);
  await mkdir(outside);
  const bridge = await startTestBridge({
    config: {
      allowedOrigins: [WEB_APP, OTHER_APP],
      commandPath: 'inherited',
      promptTimeoutMs: 120_000,
      handshakeRateLimit: { max: 1_000_000, windowMs: 60_000 },
      filesystem: { roots: [{ path: target, access: 'read-write' }] },
    },
  });
  const webApp = await handshake(bridge, WEB_APP);
  const otherApp = await handshake(bridge, OTHER_APP);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  return {
    agent,
    bridge,
    port: bridge.port(),
    target,
    outside,
    webApp,
    otherApp,
    host: `127.0.0.1:${bridge.port()}`,
    async close() {
      agent.destroy();
      await bridge.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** What a successful attack would change, read straight from the bridge (not over HTTP). */
export async function stateSnapshot(a: AttackBridge): Promise<Record<string, unknown>> {
  const { bridge } = a;
  const subjects = subjectsFor(bridge.bridgeId);
  const asUi = (routeId: string) => bridge.bus.request(subjects.rpc(routeId), { principal: { kind: 'ui' }, params: {}, query: {}, body: undefined });
  const counts = bridge.runtime.counts();
  return {
    actors: { session: counts.session ?? 0, commandRun: counts.commandRun ?? 0, permissionPrompt: counts.permissionPrompt ?? 0, mcpConnection: counts.mcpConnection ?? 0, awakeLock: counts.awakeLock ?? 0, filePicker: counts.filePicker ?? 0 },
    rules: await asUi('system.permissions.rules.list'),
    mcpServers: await asUi('mcp.servers.list'),
    runs: await bridge.bus.request(subjects.rpc('system.commands.runs.list'), { principal: { kind: 'ui' }, params: {}, query: { limit: 100 }, body: undefined }),
    config: JSON.stringify(bridge.config.current),
    target: await listTree(a.target),
    outside: await listTree(a.outside),
  };
}

/** Every entry under `dir` with its size and mtime: a created or modified file shows. */
export async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  for (const entry of entries.sort()) {
    const info = await stat(path.join(dir, entry)).catch(() => null);
    out.push(info ? `${entry} ${info.size} ${info.mtimeMs}` : `${entry} (gone)`);
  }
  return out;
}
