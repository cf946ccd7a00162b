import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBridge, type TestBridge } from '../support/test-bridge.js';
import { EXPECTED_FAILURES } from './expected-failures.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const suite = path.join(root, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');
const clientCommand = `${path.join(root, 'node_modules/.bin/tsx')} ${path.join(root, 'test/conformance/bridge-client.ts')}`;

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
});

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
