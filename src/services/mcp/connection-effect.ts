import { httpFailureReason, scrubResolved, transportPairs } from '../permissions/error-scrubber.js';
import { fromCallback } from 'xstate';
import type { ConnectionActorInput, McpConnectionEvent, McpListKind } from '../../../machines/mcpConnection.machine.js';
import type { BridgeConfig } from '../../config/config-schema.js';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { McpAuth, McpConnection, McpConnector, McpServerNotification, McpTransportSpec, ServerRequestHandler } from '../../mcp/connector.js';
import { isoAt, type Clock } from '../../runtime/clock.js';
import type { LiveConnections } from './live-connections.js';
import { ConsentRefusedError, type ConsentBroker } from './oauth/consent-broker.js';
import type { StderrTail } from './stderr-tail.js';

export interface ConnectionEffectDeps {
  connector: McpConnector;
  clock: Clock;
  live: LiveConnections;
  settings: () => BridgeConfig['mcp'];
  /** The resolved values to connect with; null when only the template is known. */
  spec: (serverId: string) => McpTransportSpec | null;
  tail: (serverId: string) => StderrTail;
  /** The template form of a server's transport: failure text is scrubbed of every resolved value. */
  template?: (serverId: string) => Parameters<typeof transportPairs>[1];
  /** Answers the server's elicitation, sampling and roots requests through pending-request actors. */
  serverRequests?: (serverId: string) => ServerRequestHandler;
  /** Resource updates and log messages of the server. */
  onNotification?: (serverId: string, notification: McpServerNotification) => void;
  /** A session ended (closed, lost or stopped): what it left pending is withdrawn. */
  onSessionEnd?: (serverId: string) => void;
  /** OAuth to HTTP servers: the SDK provider of a server, and the consents waiting for the user. */
  oauth?: { provider: (serverId: string, spec: McpTransportSpec) => Promise<OAuthClientProvider | null>; consents: ConsentBroker };
}

/** Stderr lines quoted in a failure message (the details show more). */
const STDERR_LINES_IN_ERROR = 10;

/**
 * The `connection` actor: one MCP session from connect to close. It reports `connection.ready`
 * with everything the server offers, then list changes, then how the session ended; stopping
 * it closes the session, killing a stdio server's process tree if it will not exit.
 */
export function connectionEffect(deps: ConnectionEffectDeps) {
  return fromCallback<McpConnectionEvent, ConnectionActorInput>(({ input, sendBack }) => {
    const { serverId } = input;
    const abort = new AbortController();
    const tail = deps.tail(serverId);
    // Each attempt starts a new process: stderr of an earlier one would read as this one's.
    tail.clear();
    let stopped = false;
    let connection: McpConnection | null = null;

    const report = async (type: 'connection.failed' | 'connection.lost', error: unknown) => {
      // A process that died at once may still have stderr in flight behind its exit.
      await afterPendingIo();
      if (!stopped) sendBack({ type, message: describeFailure(error, tail.last(STDERR_LINES_IN_ERROR), spec, deps.template?.(serverId)) });
    };

    const spec = deps.spec(serverId);
    if (!spec) {
      queueMicrotask(() => void report('connection.failed', new Error('The resolved transport values are unknown since the bridge restarted; send the transport again (PATCH).')));
      return () => {};
    }

    void (async () => {
      const settings = deps.settings();
      try {
        const auth = await consentFlow(deps, serverId, spec, (event) => {
          if (!stopped) sendBack(event);
        });
        // Stopped while the OAuth provider loaded: nothing was started yet.
        if (stopped) return;
        const attempt = deps.connector.connect(spec, {
          timeoutMs: settings.connectTimeoutMs,
          signal: abort.signal,
          onStderr: (text) => tail.push(text),
          closeGraceMs: settings.closeGraceMs,
          pingIntervalMs: settings.pingIntervalMs,
          ...(deps.serverRequests ? { serverRequests: deps.serverRequests(serverId) } : {}),
          ...(auth ? { auth } : {}),
        });
        // A disconnect while connecting waits for the attempt too: aborted, it kills its process.
        deps.live.track(serverId, attempt);
        connection = await attempt;
      } catch (error) {
        if (!stopped && !(error instanceof ConsentRefusedError)) await report('connection.failed', error);
        return;
      }
      const open = connection;
      if (stopped) return deps.live.close(serverId, open);

      open.onNotification((notification) => {
        if (!stopped) deps.onNotification?.(serverId, notification);
      });
      open.onClose((error) => {
        deps.live.forget(serverId, open);
        deps.onSessionEnd?.(serverId);
        void report('connection.lost', error ?? new Error('The MCP server closed the connection.'));
      });
      const relist = relister(open, (kind, items) => {
        if (!stopped) sendBack({ type: 'capabilities.updated', changed: [kind], lists: { [kind]: items }, at: isoAt(deps.clock.now()) });
      });
      open.onListChanged(relist.changed);

      try {
        const [tools, resources, prompts] = await Promise.all([open.listTools(abort.signal), open.listResources(abort.signal), open.listPrompts(abort.signal)]);
        if (stopped) return;
        deps.live.set(serverId, open);
        const at = isoAt(deps.clock.now());
        sendBack({ type: 'connection.ready', snapshot: { ...open.identity, tools, resources, prompts, listedAt: at }, pid: open.pid, at });
        relist.ready();
      } catch (error) {
        if (stopped) return;
        deps.live.close(serverId, open);
        await report('connection.failed', error);
      }
    })();

    return () => {
      stopped = true;
      abort.abort();
      if (connection) deps.live.close(serverId, connection);
      deps.onSessionEnd?.(serverId);
    };
  });
}

/**
 * The OAuth side of a connection to an HTTP server: when the SDK has sent the user to the
 * authorization server, the machine shows `needs_auth` with the URL until the redirect brings a
 * code back (or a refusal, which fails the server without retrying).
 */
async function consentFlow(
  deps: ConnectionEffectDeps,
  serverId: string,
  spec: McpTransportSpec,
  send: (event: McpConnectionEvent) => void,
): Promise<McpAuth | undefined> {
  const provider = spec.type === 'stdio' ? null : ((await deps.oauth?.provider(serverId, spec)) ?? null);
  const consents = deps.oauth?.consents;
  if (!provider || !consents) return undefined;
  return {
    provider,
    async consent(signal) {
      const url = consents.authorizationUrl(serverId);
      if (!url) throw new Error('The MCP server asked for authorization, but no consent page was prepared.');
      send({ type: 'connection.needs_auth', authorizationUrl: url.href });
      try {
        const code = await consents.waitForCode(serverId, signal);
        send({ type: 'connection.authorized' });
        return code;
      } catch (error) {
        if (error instanceof ConsentRefusedError) send({ type: 'connection.auth_refused', message: error.message });
        throw error;
      }
    },
  };
}

/**
 * Re-lists a kind when the server says it changed. Notifications that arrive before the first
 * full listing is reported are held until then (servers often register tools right after the
 * handshake); concurrent notifications of one kind collapse into one more listing.
 */
function relister(connection: McpConnection, publish: (kind: McpListKind, items: Array<{ name: string } | { uri: string }>) => void) {
  let isReady = false;
  const dirty = new Set<McpListKind>();
  const running = new Set<McpListKind>();
  const list = (kind: McpListKind) =>
    kind === 'tools' ? connection.listTools() : kind === 'resources' ? connection.listResources() : connection.listPrompts();

  const run = (kind: McpListKind) => {
    if (running.has(kind)) return;
    running.add(kind);
    dirty.delete(kind);
    list(kind)
      .then((items) => {
        if (!dirty.has(kind)) publish(kind, items);
      })
      // A failed listing leaves the previous list; a broken connection is reported by onClose.
      .catch(() => {})
      .finally(() => {
        running.delete(kind);
        if (dirty.has(kind)) run(kind);
      });
  };

  return {
    changed: (kind: McpListKind) => {
      dirty.add(kind);
      if (isReady) run(kind);
    },
    ready: () => {
      isReady = true;
      for (const kind of [...dirty]) run(kind);
    },
  };
}

/**
 * `lastError`: an HTTP server's status or network error code only (never its body, nor the URL
 * the SDK quotes); a stdio server's error and last stderr lines. Either way scrubbed of every
 * resolved value that differs from its template before it is stored or sent.
 */
function describeFailure(error: unknown, stderr: string[], spec: McpTransportSpec | null, template: Parameters<typeof transportPairs>[1]): string {
  const raw = spec && spec.type !== 'stdio' ? httpFailureReason(error) : error instanceof Error ? error.message : String(error);
  const message = spec && spec.type === 'stdio' && stderr.length > 0 ? `${raw}\nLast stderr lines:\n${stderr.join('\n')}` : raw;
  return spec ? scrubResolved(message, transportPairs(spec, template)) : message;
}

function afterPendingIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}
