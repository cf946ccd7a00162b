import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import {
  CallToolResultSchema,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
  type CallToolResult,
  type ClientCapabilities,
} from '@modelcontextprotocol/sdk/types.js';
import { BRIDGE_VERSION } from '../version.js';
import { classifyMcpError } from './classify-mcp-error.js';
import type { CallToolOptions, CloseListener, ListKind, McpConnection, McpServerIdentity, McpServerNotification, ServerRequestHandler } from './connector.js';
import { McpConnectionClosedError, McpRemoteError, McpTimeoutError } from './errors.js';
import { REQUEST_RESULT_SCHEMAS } from './request-schemas.js';
import { deliverResponsesAfterNotifications } from './response-order.js';

/** Pages of a list (tools, resources, prompts) fetched at most; a server paging forever is cut. */
const MAX_LIST_PAGES = 100;

export interface ClientConnectionOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Process id of the server, when the transport started one. */
  pid?: () => number | null;
  /**
   * Ends the transport. Defaults to `client.close()`; the stdio connector passes one that also
   * kills the server's process tree when it does not exit by itself.
   */
  closeTransport?: (closeClient: () => Promise<void>) => Promise<void>;
  /** Sends `ping` this often and treats a failed ping as a lost connection; 0 disables. */
  pingIntervalMs?: number;
  /** Answers the server's requests; the client declares only what this can answer. */
  serverRequests?: ServerRequestHandler;
  /**
   * HTTP with OAuth: obtains the user's consent and the tokens it brings, after a request met
   * 401 or 403 insufficient_scope (step-up). The request is then sent again.
   */
  reauthorize?: (signal: AbortSignal) => Promise<void>;
}

/** Consents asked for one request at most: a server that keeps refusing new tokens is failed. */
const MAX_AUTH_ROUNDS = 3;

/**
 * What the bridge can honour: form and URL elicitation, sampling and roots, all answered by the
 * web app or the local UI through pending-request actors. Defaults of a form are applied by the
 * SDK to what the answer leaves out (SEP-1034).
 */
export const HONOURED_CLIENT_CAPABILITIES: ClientCapabilities = {
  elicitation: { form: { applyDefaults: true }, url: {} },
  sampling: {},
  roots: {},
};

/**
 * Runs the MCP handshake on `transport` with the SDK's `Client` and wraps the session in the
 * seam's `McpConnection`. Shared by the real connector and the in-memory twin, so the twin
 * exercises exactly this code.
 */
export async function openClientConnection(transport: Transport, options: ClientConnectionOptions): Promise<McpConnection> {
  let protocolVersion: string | null = null;
  // The SDK keeps the negotiated version to itself; the transport is told it, so listen there.
  const setProtocolVersion = transport.setProtocolVersion?.bind(transport);
  transport.setProtocolVersion = (version: string) => {
    protocolVersion = version;
    setProtocolVersion?.(version);
  };

  // Without someone to answer them, the bridge declares no client capabilities at all.
  const capabilities = options.serverRequests ? HONOURED_CLIENT_CAPABILITIES : {};
  const client = new Client({ name: 'osloop-bridge', version: BRIDGE_VERSION }, { capabilities });
  const closeListeners = new Set<CloseListener>();
  const listListeners = new Set<(kind: ListKind) => void>();
  const notificationListeners = new Set<(notification: McpServerNotification) => void>();
  let closedByUs = false;
  let ended = false;
  let lastTransportError: Error | null = null;
  let pingTimer: ReturnType<typeof setInterval> | undefined;

  const end = (error: Error | null) => {
    if (ended) return;
    ended = true;
    clearInterval(pingTimer);
    if (closedByUs) return;
    for (const listener of closeListeners) listener(error);
  };
  client.onerror = (error) => {
    lastTransportError = error;
  };
  client.onclose = () => end(lastTransportError ?? new McpConnectionClosedError('The MCP server closed the connection.'));
  const notify = (kind: ListKind) => () => {
    for (const listener of listListeners) listener(kind);
  };
  client.setNotificationHandler(ToolListChangedNotificationSchema, notify('tools'));
  client.setNotificationHandler(ResourceListChangedNotificationSchema, notify('resources'));
  client.setNotificationHandler(PromptListChangedNotificationSchema, notify('prompts'));
  const deliver = (notification: McpServerNotification) => {
    for (const listener of notificationListeners) listener(notification);
  };
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => deliver({ kind: 'resource_updated', uri: n.params.uri }));
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) =>
    deliver({ kind: 'log', level: n.params.level, logger: n.params.logger ?? null, data: n.params.data }),
  );
  const answer = options.serverRequests;
  if (answer) {
    // The SDK validates each request (and, for elicitation and sampling, the answer) itself.
    client.setRequestHandler(ElicitRequestSchema, (request, extra) => answer({ method: 'elicitation/create', params: request.params }, extra.signal) as never);
    client.setRequestHandler(CreateMessageRequestSchema, (request, extra) => answer({ method: 'sampling/createMessage', params: request.params }, extra.signal) as never);
    client.setRequestHandler(ListRootsRequestSchema, (request, extra) => answer({ method: 'roots/list', params: request.params ?? {} }, extra.signal) as never);
  }

  const closeClient = () => client.close();
  const closeTransport = options.closeTransport ?? ((close) => close());
  let closing: Promise<void> | undefined;
  const close = () => {
    closedByUs = true;
    clearInterval(pingTimer);
    closing ??= closeTransport(closeClient).catch(() => {});
    return closing;
  };

  try {
    await client.connect(transport, { timeout: options.timeoutMs, ...(options.signal ? { signal: options.signal } : {}) });
  } catch (error) {
    await close();
    if (options.signal?.aborted) throw options.signal.reason;
    throw classifyMcpError(error, options.timeoutMs);
  }

  deliverResponsesAfterNotifications(transport);

  const identity: McpServerIdentity = {
    serverInfo: client.getServerVersion() ?? { name: 'unknown', version: 'unknown' },
    protocolVersion,
    capabilities: client.getServerCapabilities() ?? {},
    instructions: client.getInstructions() ?? null,
  };

  if (options.pingIntervalMs && options.pingIntervalMs > 0) {
    pingTimer = setInterval(() => {
      client.ping({ timeout: options.pingIntervalMs }).catch((error: unknown) => {
        if (ended || closedByUs) return;
        // A server that stops answering is as gone as one that exited: close and report it.
        lastTransportError = classifyMcpError(error, options.pingIntervalMs ?? 0);
        void closeTransport(closeClient).catch(() => {});
      });
    }, options.pingIntervalMs);
    pingTimer.unref();
  }

  /**
   * Runs `send`, and again after the user's consent when the server wants (other) tokens. A
   * session that cannot be re-authorised (stdio, HTTP without OAuth) just sends: no async frame
   * in between on every call.
   */
  const authorized = <T>(send: () => Promise<T>, signal?: AbortSignal): Promise<T> => (options.reauthorize ? reauthorizing(send, signal) : send());
  const reauthorizing = async <T>(send: () => Promise<T>, signal?: AbortSignal): Promise<T> => {
    for (let round = 0; ; round++) {
      try {
        return await send();
      } catch (error) {
        if (!(error instanceof UnauthorizedError) || !options.reauthorize || round >= MAX_AUTH_ROUNDS) throw error;
        await options.reauthorize(signal ?? new AbortController().signal);
      }
    }
  };

  const collect = async <T>(fetchPage: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor?: string | undefined }>) => {
    const items: T[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const result = await authorized(() => fetchPage(cursor)).catch((error: unknown) => {
        throw classifyMcpError(error, options.timeoutMs);
      });
      items.push(...result.items);
      if (!result.nextCursor) break;
      cursor = result.nextCursor;
    }
    return items;
  };
  const listOptions = (signal?: AbortSignal) => ({ timeout: options.timeoutMs, ...(signal ? { signal } : {}) });

  return {
    identity,
    get pid() {
      return options.pid?.() ?? null;
    },
    listTools: (signal) =>
      identity.capabilities.tools
        ? collect((cursor) => client.listTools(cursor ? { cursor } : {}, listOptions(signal)).then((r) => ({ items: r.tools, nextCursor: r.nextCursor })))
        : Promise.resolve([]),
    listResources: (signal) =>
      identity.capabilities.resources
        ? collect((cursor) => client.listResources(cursor ? { cursor } : {}, listOptions(signal)).then((r) => ({ items: r.resources, nextCursor: r.nextCursor })))
        : Promise.resolve([]),
    listPrompts: (signal) =>
      identity.capabilities.prompts
        ? collect((cursor) => client.listPrompts(cursor ? { cursor } : {}, listOptions(signal)).then((r) => ({ items: r.prompts, nextCursor: r.nextCursor })))
        : Promise.resolve([]),
    callTool: (name, args, callOptions) => {
      const signal = callOptions.controller?.signal ?? callOptions.signal;
      return authorized(() => callTool(client, name, args, callOptions), signal).catch((error: unknown) => {
        // A request that failed below MCP (e.g. `fetch failed`: the HTTP server is gone) means
        // the session is broken even though no transport noticed: end it, so it is supervised.
        // A call its caller cancelled failed on purpose: the session is fine.
        if (isTransportFailure(error) && !signal?.aborted && !ended && !closedByUs) {
          lastTransportError = error as Error;
          void closeTransport(closeClient).catch(() => {});
        }
        throw error;
      });
    },
    request: (method, params, requestOptions) =>
      authorized(
        () => client.request({ method, params } as never, REQUEST_RESULT_SCHEMAS[method], { timeout: requestOptions.timeoutMs, ...(requestOptions.signal ? { signal: requestOptions.signal } : {}) }),
        requestOptions.signal,
      ).then(
        (result) => result as Record<string, unknown>,
        (error: unknown) => {
          if (requestOptions.signal?.aborted) throw requestOptions.signal.reason;
          throw classifyMcpError(error, requestOptions.timeoutMs);
        },
      ),
    onNotification(listener) {
      notificationListeners.add(listener);
      return () => notificationListeners.delete(listener);
    },
    onClose(listener) {
      closeListeners.add(listener);
      return () => closeListeners.delete(listener);
    },
    onListChanged(listener) {
      listListeners.add(listener);
      return () => listListeners.delete(listener);
    },
    close,
  };
}

/**
 * `tools/call` through the SDK's generic `request`, not `callTool`: the bridge is a proxy and
 * passes the result on as the server sent it, without validating it against the tool's
 * output schema (the web app may do that itself).
 */
async function callTool(client: Client, name: string, args: Record<string, unknown>, options: CallToolOptions): Promise<CallToolResult> {
  // One controller carries both the cap and the caller's abort: the caller's own when it hands
  // it over, else one the caller's signal is forwarded to by a listener (`AbortSignal.any` cost
  // 15-17 us per call here against 3 us for that: it tracks its sources weakly).
  const stop = options.controller ?? new AbortController();
  const caller = options.controller ? undefined : options.signal;
  if (stop.signal.aborted) throw stop.signal.reason;
  if (caller?.aborted) throw caller.reason;
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  // The SDK checks the total only when progress arrives; this timer enforces the cap regardless.
  // Until progress resets it, the SDK's own timeout (never longer than the cap, as callers set
  // it) ends the call in time, so the cap's timer is armed at the first progress notification:
  // a call without progress (most of them) then costs one timer, not two (issue 15).
  const armCap = () => {
    timer = setTimeout(
      () => stop.abort(new McpTimeoutError(`The tool call reached the hard cap of ${options.maxTotalTimeoutMs} ms.`, options.maxTotalTimeoutMs)),
      Math.max(0, options.maxTotalTimeoutMs - (performance.now() - started)),
    );
  };
  if (options.timeoutMs > options.maxTotalTimeoutMs) armCap();
  const forward = caller ? () => stop.abort(caller.reason) : undefined;
  if (forward) caller!.addEventListener('abort', forward, { once: true });
  const onProgress = options.onProgress;
  try {
    return await client.request({ method: 'tools/call', params: { name, arguments: args } }, CallToolResultSchema, {
      timeout: options.timeoutMs,
      maxTotalTimeout: options.maxTotalTimeoutMs,
      resetTimeoutOnProgress: true,
      // Asking for progress is what makes the SDK send a progress token at all.
      onprogress: (progress) => {
        if (timer === undefined) armCap();
        onProgress?.(progress);
      },
      signal: stop.signal,
    });
  } catch (error) {
    // The caller's abort rejects with the caller's reason; the cap's reason is the timeout itself.
    if (stop.signal.aborted) throw stop.signal.reason;
    throw classifyMcpError(error, options.timeoutMs);
  } finally {
    clearTimeout(timer);
    if (forward) caller!.removeEventListener('abort', forward);
  }
}

function isTransportFailure(error: unknown): boolean {
  return error instanceof Error && !(error instanceof UnauthorizedError) && !(error instanceof McpTimeoutError) && !(error instanceof McpRemoteError) && !(error instanceof McpConnectionClosedError) && error.name !== 'AbortError';
}
