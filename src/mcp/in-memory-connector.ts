import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { openClientConnection } from './client-connection.js';
import type { ConnectOptions, McpConnection, McpConnector, McpTransportSpec } from './connector.js';
import { McpConnectionClosedError } from './errors.js';

/** A server that "exits at once": it writes `stderr` and the handshake fails. */
export interface TwinCrashOnStart {
  crashOnStart: { stderr: string };
}

/** Builds a fresh in-process server for each connection, as a process would be started anew. */
export type TwinServerFactory = () => McpServer;

export type TwinDefinition = TwinServerFactory | TwinCrashOnStart;

interface LiveTwin {
  key: string;
  pid: number;
  server: McpServer;
  serverTransport: InMemoryTransport;
  onStderr: ((text: string) => void) | undefined;
}

/**
 * The connector's in-memory twin for unit tests: each server is an SDK `McpServer` reached over
 * the SDK's `InMemoryTransport`, through the same client code as the real connector. A server is
 * looked up by its stdio `command` or its HTTP `url`; tests can crash it, make it write to
 * stderr, and count how often it was started.
 */
export class InMemoryConnector implements McpConnector {
  readonly #definitions = new Map<string, TwinDefinition>();
  readonly #live = new Set<LiveTwin>();
  readonly #starts = new Map<string, number>();
  #nextPid = 10_000;

  constructor(definitions: Record<string, TwinDefinition> = {}) {
    for (const [key, definition] of Object.entries(definitions)) this.define(key, definition);
  }

  /** Adds or replaces the server reached at `key` (a stdio command or an HTTP url). */
  define(key: string, definition: TwinDefinition): void {
    this.#definitions.set(key, definition);
  }

  /** How many times the server at `key` was started. */
  starts(key: string): number {
    return this.#starts.get(key) ?? 0;
  }

  /** Live connections to the server at `key`. */
  liveCount(key: string): number {
    return [...this.#live].filter((twin) => twin.key === key).length;
  }

  /** The live server instances at `key`, e.g. to send it a list-changed notification. */
  servers(key: string): McpServer[] {
    return [...this.#live].filter((twin) => twin.key === key).map((twin) => twin.server);
  }

  /** Simulates the server at `key` dying: its side of every live connection closes. */
  async crash(key: string): Promise<void> {
    for (const twin of [...this.#live]) if (twin.key === key) await twin.serverTransport.close();
  }

  /** Simulates the server at `key` writing to stderr. */
  writeStderr(key: string, text: string): void {
    for (const twin of this.#live) if (twin.key === key) twin.onStderr?.(text);
  }

  async connect(spec: McpTransportSpec, options: ConnectOptions): Promise<McpConnection> {
    const key = spec.type === 'stdio' ? spec.command : spec.url;
    this.#starts.set(key, this.starts(key) + 1);
    const definition = this.#definitions.get(key);
    if (!definition) throw Object.assign(new Error(`spawn ${key} ENOENT`), { code: 'ENOENT' });
    if (typeof definition !== 'function') {
      options.onStderr?.(definition.crashOnStart.stderr);
      throw new McpConnectionClosedError('The MCP server closed the connection.');
    }

    const server = definition();
    const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
    await server.connect(serverTransport);
    const twin: LiveTwin = { key, pid: this.#nextPid++, server, serverTransport, onStderr: options.onStderr };
    this.#live.add(twin);
    const serverOnClose = serverTransport.onclose;
    serverTransport.onclose = () => {
      this.#live.delete(twin);
      serverOnClose?.();
    };
    try {
      return await openClientConnection(clientTransport, {
        timeoutMs: options.timeoutMs,
        ...(options.signal ? { signal: options.signal } : {}),
        pid: () => (this.#live.has(twin) ? twin.pid : null),
        pingIntervalMs: options.pingIntervalMs ?? 0,
        ...(options.serverRequests ? { serverRequests: options.serverRequests } : {}),
      });
    } catch (error) {
      this.#live.delete(twin);
      throw error;
    }
  }
}
