import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { McpConnection } from '../../src/mcp/connector.js';
import { McpConnectionClosedError } from '../../src/mcp/errors.js';
import { SdkConnector } from '../../src/mcp/sdk-connector.js';
import { EVERYTHING_ENTRY, FIXTURES, isAlive, startEverythingHttp, type RunningHttpServer } from '../fixtures/mcp/everything.js';

const connector = new SdkConnector();
/**
 * How long server-everything may take to answer `initialize`: it loads hundreds of modules, and
 * on a loaded two-core machine at the start of the suite that took over 20 s once.
 */
const SERVER_START_MS = 45_000;
const stdio = (entry: string, args: string[] = []) => ({ type: 'stdio' as const, command: process.execPath, args: [entry, ...args] });

/** The real connector against real servers: server-everything over each transport, and fixtures. */
describe('the SDK connector', () => {
  const open: McpConnection[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((connection) => connection.close()));
  });
  const track = (connection: McpConnection) => {
    open.push(connection);
    return connection;
  };

  describe('over stdio', () => {
    it('starts server-everything with the given environment and PATH only, calls it, and ends its process on close', async () => {
      process.env.OSLOOP_TEST_SECRET_TOKEN = 'must-not-leak';
      let stderr = '';
      try {
        // The PATH comes from `searchPath` (the login shell's, in the bridge).
        const withPath = new SdkConnector({ searchPath: async () => `/osloop-login-bin:${process.env.PATH}` });
        const connection = await withPath.connect(
          { ...stdio(EVERYTHING_ENTRY, ['stdio']), env: { GIVEN: 'yes' } },
          { timeoutMs: SERVER_START_MS, onStderr: (text) => (stderr += text) },
        );
        const pid = connection.pid!;
        expect(connection.identity.serverInfo.name).toBe('mcp-servers/everything');
        expect(isAlive(pid)).toBe(true);
        expect(stderr).toMatch(/Starting default \(STDIO\) server/);
        expect(await connection.callTool('echo', { message: 'hi' }, { timeoutMs: 5_000, maxTotalTimeoutMs: 10_000 })).toEqual({
          content: [{ type: 'text', text: 'Echo: hi' }],
        });
        const env = JSON.stringify(await connection.callTool('get-env', {}, { timeoutMs: 5_000, maxTotalTimeoutMs: 10_000 }));
        expect(env).toContain('GIVEN');
        expect(env).toContain('/osloop-login-bin:');
        expect(env).not.toContain('must-not-leak');
        await connection.close();
        expect(isAlive(pid)).toBe(false);
      } finally {
        delete process.env.OSLOOP_TEST_SECRET_TOKEN;
      }
    });

    it('reports the process being killed with SIGKILL', async () => {
      const connection = track(await connector.connect(stdio(EVERYTHING_ENTRY, ['stdio']), { timeoutMs: SERVER_START_MS }));
      const closed = new Promise<Error | null>((resolve) => connection.onClose(resolve));
      process.kill(connection.pid!, 'SIGKILL');
      expect(await closed).toBeInstanceOf(Error);
    });

    it('kills the whole process tree of a server that ignores stdin closing and SIGTERM', async () => {
      const connection = await connector.connect(stdio(path.join(FIXTURES, 'stubborn-server.mjs')), { timeoutMs: 30_000, closeGraceMs: 100 });
      const pid = connection.pid!;
      const result = await connection.callTool('child-pid', {}, { timeoutMs: 5_000, maxTotalTimeoutMs: 10_000 });
      const childPid = Number((result.content[0] as { text: string }).text);
      expect(isAlive(childPid)).toBe(true);
      await connection.close();
      expect(isAlive(pid)).toBe(false);
      await vi.waitFor(() => expect(isAlive(childPid)).toBe(false));
    });

    it('fails the handshake of a server that exits at once, with its stderr', async () => {
      let stderr = '';
      const attempt = connector.connect(stdio(path.join(FIXTURES, 'exits-at-once.mjs')), { timeoutMs: 10_000, onStderr: (text) => (stderr += text) });
      await expect(attempt).rejects.toBeInstanceOf(McpConnectionClosedError);
      await vi.waitFor(() => expect(stderr).toMatch(/fatal: OSLOOP_TEST_API_KEY is not set/));
    });

    it.runIf(process.platform === 'linux')('has killed a server that never answers initialize by the time the handshake fails', async () => {
      // The SDK closes a failed handshake's transport by itself (and kills the server alone, seconds
      // later); the connector must still kill the tree, and wait for it, before it reports.
      const fixture = path.join(FIXTURES, '../faults/mcp-raw.mjs');
      const attempt = connector.connect(stdio(fixture, ['hang-initialize']), { timeoutMs: 500, closeGraceMs: 100 });
      await expect(attempt).rejects.toThrow();
      expect(childrenRunning(`${fixture}\0hang-initialize`)).toEqual([]);
    });

    it('fails to start a command that does not exist', async () => {
      await expect(connector.connect({ type: 'stdio', command: 'osloop-no-such-server', args: [] }, { timeoutMs: 5_000 })).rejects.toThrow(/ENOENT/);
    });
  });

  describe.each([
    ['Streamable HTTP', 'streamableHttp', 'streamable-http'],
    ['SSE', 'sse', 'sse'],
  ] as const)('over %s', (_label, mode, type) => {
    let server: RunningHttpServer;
    beforeAll(async () => {
      server = await startEverythingHttp(mode);
    });
    afterAll(() => server.stop());

    it('connects to server-everything and calls echo', async () => {
      const connection = track(await connector.connect({ type, url: server.url, headers: { 'x-test': '1' } }, { timeoutMs: 10_000 }));
      expect(connection.pid).toBeNull();
      expect((await connection.listTools()).map((tool) => tool.name)).toContain('echo');
      expect(await connection.callTool('echo', { message: 'over http' }, { timeoutMs: 5_000, maxTotalTimeoutMs: 10_000 })).toEqual({
        content: [{ type: 'text', text: 'Echo: over http' }],
      });
    });
  });

  it('sends the resolved headers to an HTTP server', async () => {
    const seen: Array<string | undefined> = [];
    const server = http.createServer((request, response) => {
      seen.push(request.headers.authorization);
      response.writeHead(401).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const attempt = connector.connect({ type: 'streamable-http', url: `http://127.0.0.1:${port}/mcp`, headers: { authorization: 'Bearer resolved' } }, { timeoutMs: 5_000 });
      await expect(attempt).rejects.toThrow();
      expect(seen[0]).toBe('Bearer resolved');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('fails to reach an HTTP server that is not listening', async () => {
    await expect(connector.connect({ type: 'streamable-http', url: 'http://127.0.0.1:9/mcp', headers: {} }, { timeoutMs: 5_000 })).rejects.toThrow();
  });
});

/** Living children of this process whose command line contains `needle`, from /proc. */
function childrenRunning(needle: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return Number(ppid) === process.pid && state !== 'Z' && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle);
      } catch {
        return false;
      }
    })
    .map(Number);
}
