import type { CallToolResult, Implementation, Prompt, Resource, ServerCapabilities, Tool } from '@modelcontextprotocol/sdk/types.js';

/**
 * The MCP-connector seam: how the bridge reaches one MCP server, whatever carries it. The real
 * connector (`SdkConnector`) speaks stdio, Streamable HTTP and SSE through the SDK's `Client`;
 * the twin (`InMemoryConnector`) connects the same client code to in-process `McpServer`s.
 */
export interface McpConnector {
  /** Starts (stdio) or reaches (HTTP) the server and completes the MCP handshake. */
  connect(spec: McpTransportSpec, options: ConnectOptions): Promise<McpConnection>;
}

/** Resolved transport values: what actually runs or is contacted. Never shown nor persisted. */
export type McpTransportSpec =
  | { type: 'stdio'; command: string; args: string[]; cwd?: string; env?: Record<string, string> }
  | { type: 'streamable-http' | 'sse'; url: string; headers: Record<string, string> };

export interface ConnectOptions {
  /** Longest wait for the handshake (`initialize`) to complete. */
  timeoutMs: number;
  /** Aborting gives up the attempt and closes whatever was started. */
  signal?: AbortSignal;
  /** stdio only: the server's stderr, as it arrives (also before the handshake fails). */
  onStderr?: (text: string) => void;
  /** stdio only: time the server gets to exit after its stdin closes, before its tree is killed. */
  closeGraceMs?: number;
  /** Pings the server this often once connected; a failed ping ends the connection. 0 disables. */
  pingIntervalMs?: number;
}

/** What the server said about itself during the handshake. */
export interface McpServerIdentity {
  serverInfo: Implementation;
  protocolVersion: string | null;
  capabilities: ServerCapabilities;
  instructions: string | null;
}

export type ListKind = 'tools' | 'resources' | 'prompts';

export interface CallToolOptions {
  /** Without a response (or a progress notification) for this long, the call times out. */
  timeoutMs: number;
  /** Progress resets `timeoutMs`, but the call never lasts longer than this. */
  maxTotalTimeoutMs: number;
  signal?: AbortSignal;
  onProgress?: (progress: { progress: number; total?: number; message?: string }) => void;
}

/** Why a connection ended: null after `close()`, the transport's error otherwise. */
export type CloseListener = (error: Error | null) => void;

/** One live MCP session. Calls may overlap; none waits for another. */
export interface McpConnection {
  readonly identity: McpServerIdentity;
  /** Process id of a stdio server; null for HTTP servers. */
  readonly pid: number | null;
  listTools(signal?: AbortSignal): Promise<Tool[]>;
  listResources(signal?: AbortSignal): Promise<Resource[]>;
  listPrompts(signal?: AbortSignal): Promise<Prompt[]>;
  /**
   * Calls a tool and resolves with its result unchanged (a tool error is a result with
   * `isError`). Rejects with an error from `./errors.js` for everything the bridge must report.
   */
  callTool(name: string, args: Record<string, unknown>, options: CallToolOptions): Promise<CallToolResult>;
  /** Called once when the connection ends for any reason other than `close()`. */
  onClose(listener: CloseListener): () => void;
  /** Called on the server's `notifications/{tools,resources,prompts}/list_changed`. */
  onListChanged(listener: (kind: ListKind) => void): () => void;
  /** Ends the session (and a stdio server's process tree); idempotent. */
  close(): Promise<void>;
}
