import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
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
  /**
   * Answers the server's own requests (elicitation, sampling, roots). Given, the client declares
   * exactly those capabilities; absent, it declares none and the server cannot ask.
   */
  serverRequests?: ServerRequestHandler;
  /** HTTP only: OAuth 2.1 to the server, with the user's consent when a token is needed. */
  auth?: McpAuth;
}

/** The requests a server may send the bridge, as the SDK validated them. */
export type ServerRequestMethod = 'elicitation/create' | 'sampling/createMessage' | 'roots/list';
export interface ServerRequest {
  method: ServerRequestMethod;
  params: Record<string, unknown>;
}
/** Resolves with the result to send back, or rejects with an `McpError` the server receives. */
export type ServerRequestHandler = (request: ServerRequest, signal: AbortSignal) => Promise<Record<string, unknown>>;

/**
 * OAuth to one HTTP server: the SDK's provider (discovery, registration, PKCE, tokens, refresh)
 * and the user's consent. `consent` is called when the SDK had to send the user to the
 * authorization URL; it resolves with the authorization code the redirect brought back.
 */
export interface McpAuth {
  provider: OAuthClientProvider;
  consent(signal: AbortSignal): Promise<string>;
}

/** What the server said about itself during the handshake. */
export interface McpServerIdentity {
  serverInfo: Implementation;
  protocolVersion: string | null;
  capabilities: ServerCapabilities;
  instructions: string | null;
}

export type ListKind = 'tools' | 'resources' | 'prompts';

/** The client requests the bridge proxies besides tools and lists, each with its result unchanged. */
export type McpRequestMethod =
  | 'resources/read'
  | 'resources/templates/list'
  | 'resources/subscribe'
  | 'resources/unsubscribe'
  | 'prompts/get'
  | 'completion/complete'
  | 'logging/setLevel';

export interface RequestOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Notifications a server sends besides list changes. */
export type McpServerNotification =
  | { kind: 'resource_updated'; uri: string }
  | { kind: 'log'; level: string; logger: string | null; data: unknown };

export interface CallToolOptions {
  /** Without a response (or a progress notification) for this long, the call times out. */
  timeoutMs: number;
  /** Progress resets `timeoutMs`, but the call never lasts longer than this. */
  maxTotalTimeoutMs: number;
  /** Ends the call (the server is sent `notifications/cancelled`); it rejects with the reason. */
  signal?: AbortSignal;
  /**
   * Instead of `signal`, the caller's own controller of this call: the connection then aborts it
   * itself at the hard cap instead of making a second controller that the caller's signal is
   * forwarded to (a signal and two listeners less per call, issue 15).
   */
  controller?: AbortController;
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
  /** One proxied request; its result as the server sent it. Errors as for `callTool`. */
  request(method: McpRequestMethod, params: Record<string, unknown>, options: RequestOptions): Promise<Record<string, unknown>>;
  /** Called on `notifications/resources/updated` and `notifications/message`. */
  onNotification(listener: (notification: McpServerNotification) => void): () => void;
  /** Called once when the connection ends for any reason other than `close()`. */
  onClose(listener: CloseListener): () => void;
  /** Called on the server's `notifications/{tools,resources,prompts}/list_changed`. */
  onListChanged(listener: (kind: ListKind) => void): () => void;
  /** Ends the session (and a stdio server's process tree); idempotent. */
  close(): Promise<void>;
}
