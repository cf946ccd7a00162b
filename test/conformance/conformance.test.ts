import { build } from 'esbuild';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBridgeClient } from '../../src/client/index.js';
import { startTestBridge, type TestBridge } from '../support/test-bridge.js';
import { EXPECTED_FAILURES } from './expected-failures.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const suite = path.join(root, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');
/**
 * The suite starts the client once per scenario, ~50 times. Linked once into one file and run by
 * this Node, each start takes a tenth of what compiling the TypeScript through tsx took. It lives
 * under node_modules so that the packages it imports resolve as they do from the sources.
 */
const clientBundle = path.join(root, 'node_modules/.cache/osloop-bridge/conformance-client.mjs');
const clientCommand = `${process.execPath} ${clientBundle}`;

interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';
  description?: string;
}

/**
 * The official MCP conformance suite's client scenarios, every one, with the bridge as the client
 * under test: the suite's servers (and authorization servers) on one side, a real bridge driven
 * over its HTTP API by `bridge-client.ts` on the other. The suite needs Node 22 or later
 * (`fs.globSync`); it runs on the Node 24 that `.ci/node24` provides, the bridge on this Node.
 */
describe('the MCP conformance suite, the bridge as the client', () => {
  let bridge: TestBridge;
  let node24: string;
  let out: string;
  beforeAll(async () => {
    [bridge, node24, out] = await Promise.all([
      startTestBridge({ dev: true, config: { handshakeRateLimit: { max: 10_000, windowMs: 60_000 }, mcp: { pingIntervalMs: 0, reconnect: { maxAttempts: 0 } } } }),
      run('bash', [path.join(root, '.ci/node24')]).then(({ stdout }) => stdout.trim()),
      mkdtemp(path.join(os.tmpdir(), 'osloop-conformance-')),
      build({ entryPoints: [path.join(root, 'test/conformance/bridge-client.ts')], outfile: clientBundle, bundle: true, platform: 'node', format: 'esm', packages: 'external', logLevel: 'error' }),
    ]);
  }, 300_000);
  afterAll(async () => {
    await bridge?.close();
    if (out) await rm(out, { recursive: true, force: true });
  });

  it('passes every client scenario but those listed, with their reasons, as expected failures', async () => {
    const { stdout: listing } = await run(node24, [suite, 'list']);
    const scenarios = clientScenarios(listing);
    expect(scenarios.length).toBeGreaterThan(20);

    // --suite all runs the scenarios in parallel; a failing scenario makes the exit code 1.
    await run(node24, [suite, 'client', '--command', clientCommand, '--suite', 'all', '--timeout', '90000', '-o', out], {
      cwd: out,
      env: { ...process.env, OSLOOP_CONFORMANCE_BRIDGE: bridge.baseUrl, OSLOOP_CONFORMANCE_UI_TOKEN: bridge.uiToken },
      maxBuffer: 64 * 1024 * 1024,
    }).catch((error: { code?: number }) => {
      if (error.code !== 1) throw error;
    });

    const results = await readResults(out);
    expect(scenarios.filter((name) => !results.has(name)), 'scenarios that did not run').toEqual([]);
    const failing = Object.fromEntries([...results].filter(([, result]) => result.problems.length > 0).map(([name, result]) => [name, result.problems]));
    const unexpected = Object.fromEntries(Object.entries(failing).filter(([name]) => !(name in EXPECTED_FAILURES)));
    expect(unexpected, 'scenarios failing that are not expected to').toEqual({});
    const nowPassing = Object.keys(EXPECTED_FAILURES).filter((name) => !(name in failing));
    expect(nowPassing, 'expected failures that pass now: remove them from the list').toEqual([]);
  }, 900_000);

  it('keeps OAuth tokens owner-only, and out of the registry, the logs, the events and the inspector', async () => {
    await run(node24, [suite, 'client', '--command', clientCommand, '--scenario', 'auth/metadata-default', '-o', out], {
      cwd: out,
      env: { ...process.env, OSLOOP_CONFORMANCE_BRIDGE: bridge.baseUrl, OSLOOP_CONFORMANCE_UI_TOKEN: bridge.uiToken, OSLOOP_CONFORMANCE_KEEP: '1' },
    });
    const credentialsFile = path.join(bridge.home, 'mcp-oauth.json');
    expect((await stat(credentialsFile)).mode & 0o777).toBe(0o600);
    const credentials = JSON.parse(await readFile(credentialsFile, 'utf8')) as { servers: Record<string, { tokens?: { access_token: string; refresh_token?: string } }> };
    const secrets = Object.values(credentials.servers).flatMap((server) => (server.tokens ? [server.tokens.access_token, server.tokens.refresh_token ?? ''] : [])).filter((token) => token.length >= 8);
    expect(secrets.length).toBeGreaterThan(0);

    const ui = { origin: bridge.origin, 'x-osloop-ui-token': bridge.uiToken };
    const inspector = await (await fetch(`${bridge.baseUrl}/api/v1/ui/actors`, { headers: ui })).text();
    const servers = await (await fetch(`${bridge.baseUrl}/api/v1/mcp/servers`, { headers: ui })).text();
    const files = await Promise.all(
      (await readdir(bridge.home, { recursive: true }))
        .filter((entry) => entry !== 'mcp-oauth.json')
        .map((entry) => readFile(path.join(bridge.home, entry)).then((data) => data.toString('latin1'), () => '')),
    );
    const events = await replayedEvents(bridge);
    expect(events.length).toBeGreaterThan(0);
    const seen = { logs: bridge.logs.join(''), inspector, servers, files: files.join('\n'), events: JSON.stringify(events) };
    for (const secret of secrets) for (const [where, text] of Object.entries(seen)) expect({ where, leaked: text.includes(secret) }).toEqual({ where, leaked: false });
  }, 300_000);
});

/** Every event the bridge still holds, replayed to a fresh web-app session. */
async function replayedEvents(bridge: TestBridge): Promise<unknown[]> {
  const client = createBridgeClient({ baseUrl: bridge.baseUrl, origin: bridge.origin, clientName: 'leak check' });
  await client.handshake();
  const stream = client.events({ since: 0 });
  const events: unknown[] = [];
  // The replay is followed by live events; the registered-then-listed server ends it deterministically.
  const marker = `marker ${Math.random()}`;
  for await (const event of stream) {
    events.push(event);
    if (events.length === 1) await client.api.mcpServersRegister({ body: { name: marker, transport: { type: 'streamable-http', url: 'http://127.0.0.1:9/mcp' } } });
    if (event.type === 'mcp.server.registered' && (event.data as { name: string }).name === marker) break;
  }
  stream.close();
  client.close();
  return events;
}

/** The names under "Client scenarios" in `conformance list`. */
function clientScenarios(listing: string): string[] {
  const section = listing.split(/Client scenarios[^\n]*\n/)[1]?.split(/\n\s*\n/)[0] ?? '';
  return [...section.matchAll(/^\s*- (\S+)/gm)].map((match) => match[1]!);
}

/**
 * Per scenario: what went wrong, judged by the suite's own checks (a failure or a warning) or the
 * absence of any. The client's exit code is not a verdict: some scenarios expect it to refuse.
 */
async function readResults(out: string): Promise<Map<string, { problems: string[] }>> {
  const results = new Map<string, { problems: string[] }>();
  // A scenario's results are in `<out>/<name>-<timestamp>/` (`auth/...` names nest one level).
  const dirs = (await readdir(out, { recursive: true })).filter((entry) => entry.endsWith('checks.json')).map((entry) => path.dirname(entry));
  for (const dir of dirs) {
    const name = dir.split(path.sep).join('/').replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z$/, '');
    const checks = JSON.parse(await readFile(path.join(out, dir, 'checks.json'), 'utf8').catch(() => '[]')) as Check[];
    const problems = checks.filter((check) => check.status === 'FAILURE' || check.status === 'WARNING').map((check) => `${check.status} ${check.id}`);
    if (checks.length === 0) problems.push('no checks');
    results.set(name, { problems });
  }
  return results;
}
