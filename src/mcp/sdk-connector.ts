import { StringDecoder } from 'node:string_decoder';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import treeKill from 'tree-kill';
import { openClientConnection } from './client-connection.js';
import { endpointFetch } from './lean-fetch.js';
import type { ConnectOptions, McpConnection, McpConnector, McpTransportSpec } from './connector.js';

export interface SdkConnectorOptions {
  /**
   * The PATH a stdio server gets (and its command is looked up on), e.g. the login shell's, as
   * for command runs. Defaults to the bridge's own PATH. The server's `env` may still set PATH.
   */
  searchPath?: () => Promise<string>;
}

const DEFAULT_CLOSE_GRACE_MS = 2_000;

/** The real connector: the SDK's `Client` over stdio, Streamable HTTP or SSE. */
export class SdkConnector implements McpConnector {
  constructor(private readonly options: SdkConnectorOptions = {}) {}

  async connect(spec: McpTransportSpec, options: ConnectOptions): Promise<McpConnection> {
    const common = {
      timeoutMs: options.timeoutMs,
      ...(options.signal ? { signal: options.signal } : {}),
      pingIntervalMs: options.pingIntervalMs ?? 0,
      ...(options.serverRequests ? { serverRequests: options.serverRequests } : {}),
    };
    if (spec.type === 'stdio') return this.#connectStdio(spec, options, common);
    return connectHttp(spec, options, common);
  }

  async #connectStdio(
    spec: Extract<McpTransportSpec, { type: 'stdio' }>,
    options: ConnectOptions,
    common: Parameters<typeof openClientConnection>[1],
  ): Promise<McpConnection> {
    const searchPath = this.options.searchPath ? await this.options.searchPath() : undefined;
    // The SDK starts from a minimal inherited environment (HOME, PATH, SHELL, TERM, USER…):
    // the bridge's own variables, tokens included, never reach the server. Node looks the
    // command up on the PATH given here.
    const env = { ...(searchPath ? { PATH: searchPath } : {}), ...spec.env };
    const transport = new StdioClientTransport({
      command: spec.command,
      args: spec.args,
      ...(spec.cwd ? { cwd: spec.cwd } : {}),
      env,
      stderr: 'pipe',
    });
    const decoder = new StringDecoder('utf8');
    // Subscribed before start, so the stderr of a server that dies at once is not lost.
    transport.stderr?.on('data', (chunk: Buffer) => options.onStderr?.(decoder.write(chunk)));
    const grace = options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;
    // The SDK forgets its process as soon as it starts closing it, and closes it by itself when
    // the handshake fails (killing the server alone, seconds later): remember the pid, so that
    // the tree is still killed and waited for.
    let pid: number | null = null;
    const start = transport.start.bind(transport);
    transport.start = async () => {
      await start();
      pid = transport.pid;
    };
    return openClientConnection(transport, {
      ...common,
      pid: () => transport.pid,
      closeTransport: (closeClient) => closeProcessTree(pid, closeClient, grace),
    });
  }
}

/**
 * Streamable HTTP or SSE. With OAuth, a handshake refused for want of a token waits for the
 * user's consent, trades the code for tokens on the refused transport (it remembers the
 * resource metadata and scope the server named) and starts over on a fresh one; later requests
 * refused the same way (expiry, step-up) do the same within the session.
 */
async function connectHttp(
  spec: Extract<McpTransportSpec, { type: 'streamable-http' | 'sse' }>,
  options: ConnectOptions,
  common: Parameters<typeof openClientConnection>[1],
): Promise<McpConnection> {
  const url = new URL(spec.url);
  const auth = options.auth;
  const open = () => {
    const transportOptions = { requestInit: { headers: spec.headers }, ...(auth ? { authProvider: auth.provider } : {}) };
    return spec.type === 'sse'
      ? new SSEClientTransport(url, transportOptions)
      : new StreamableHTTPClientTransport(url, { ...transportOptions, fetch: endpointFetch(url) });
  };
  for (let round = 0; ; round++) {
    const transport = open();
    const reauthorize = auth
      ? async (signal: AbortSignal) => {
          const code = await auth.consent(signal);
          await transport.finishAuth(code);
        }
      : undefined;
    try {
      return await openClientConnection(transport, { ...common, ...(reauthorize ? { reauthorize } : {}) });
    } catch (error) {
      if (!(error instanceof UnauthorizedError) || !reauthorize || round >= MAX_CONNECT_AUTH_ROUNDS) throw error;
      await reauthorize(options.signal ?? new AbortController().signal);
    }
  }
}

/** Consents asked while connecting, at most: an authorization server that never satisfies fails. */
const MAX_CONNECT_AUTH_ROUNDS = 3;

/**
 * The MCP shutdown sequence for stdio: close stdin and let the server exit; after `graceMs`,
 * SIGTERM to its whole process tree (servers started through `npx`, `uv run`… have children);
 * after another `graceMs`, SIGKILL.
 */
async function closeProcessTree(pid: number | null, closeClient: () => Promise<void>, graceMs: number): Promise<void> {
  const closed = closeClient();
  if (pid === null) return closed;
  if (await goneWithin(pid, closed, graceMs)) return;
  await killTree(pid, 'SIGTERM');
  if (await goneWithin(pid, closed, graceMs)) return;
  await killTree(pid, 'SIGKILL');
  await goneWithin(pid, closed, AFTER_KILL_WAIT_MS);
}

/** How long to wait for a SIGKILLed server to be gone before giving up on watching. */
const AFTER_KILL_WAIT_MS = 2_000;
const POLL_MS = 25;

/**
 * Whether the client closed and the process `pid` exited within `ms`. The client's close alone
 * proves nothing: it resolves at once when the SDK had already begun closing by itself.
 */
async function goneWithin(pid: number, closed: Promise<void>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  if (!(await settlesWithin(closed, ms))) return false;
  for (;;) {
    if (!processAlive(pid)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** The server is the bridge's own child, reaped by Node when it exits: `kill(pid, 0)` tells. */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    promise.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(true);
      },
    );
  });
}

function killTree(pid: number, signal: NodeJS.Signals): Promise<void> {
  // An error means the process is already gone, which is what we want.
  return new Promise((resolve) => treeKill(pid, signal, () => resolve()));
}
