/**
 * The bridge as the MCP client under test of `@modelcontextprotocol/conformance`. The suite runs it
 * (linked into one file by conformance.test.ts) with `<server-url>` per client scenario, with the scenario's
 * name in MCP_CONFORMANCE_SCENARIO (and its data in MCP_CONFORMANCE_CONTEXT).
 *
 * Everything goes through the bridge's own HTTP API, as the web app would: register the URL as a
 * server, connect, do what the scenario expects through the bridge's routes, answer the server's
 * requests through the reply route, and for OAuth complete the consent by following the
 * authorization URL with fetch (the suite's authorization server approves at once) and handing
 * the redirect to the bridge's loopback callback, as the user's browser would.
 *
 * The bridge is the one conformance.test.ts starts and names in OSLOOP_CONFORMANCE_BRIDGE (its
 * base URL), with its UI token in OSLOOP_CONFORMANCE_UI_TOKEN. This script imports the typed
 * client only, so each start is quick. Exit code 0: the scenario ran through; anything else: it
 * did not.
 */
import { createBridgeClient, type BridgeClient, type BridgeEvent } from '../../src/client/index.js';

/** The client ID metadata document URL the CIMD scenario expects a client to present. */
const CLIENT_METADATA_URL = 'https://conformance-test.local/client-metadata.json';
const WAIT_MS = 20_000;

interface Context {
  client_id?: string;
  client_secret?: string;
  /** The authorization server the scenario registered the client with, where it says. */
  issuer?: string;
}

async function main(): Promise<number> {
  const serverUrl = process.argv[2];
  const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? '';
  if (!serverUrl) throw new Error('usage: bridge-client.ts <server-url>');
  const context = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT ?? '{}') as Context;

  const baseUrl = process.env.OSLOOP_CONFORMANCE_BRIDGE;
  const uiToken = process.env.OSLOOP_CONFORMANCE_UI_TOKEN;
  if (!baseUrl || !uiToken) throw new Error('OSLOOP_CONFORMANCE_BRIDGE and OSLOOP_CONFORMANCE_UI_TOKEN name the bridge under test');
  const client = createBridgeClient({ baseUrl, origin: baseUrl, clientName: `conformance ${scenario}` });
  try {
    await client.handshake();
    await runScenario(client, { baseUrl, uiToken }, scenario, serverUrl, context);
    return 0;
  } finally {
    client.close();
  }
}

/** The local UI, where the user approves what the web app asked for. */
interface User {
  baseUrl: string;
  uiToken: string;
}

async function runScenario(client: BridgeClient, user: User, scenario: string, serverUrl: string, context: Context): Promise<void> {
  const { api } = client;
  const events = watchEvents(client);
  const registered = await api.mcpServersRegister({
    body: {
      name: `${scenario} ${Math.random().toString(36).slice(2)}`,
      transport: { type: 'streamable-http', url: serverUrl, ...oauthFor(scenario, context) },
    },
  });
  const { serverId } = registered;
  try {
    log(`connect: ${JSON.stringify(await api.mcpServersConnect({ params: { serverId } }))}`);
    await untilConnected(user, events, serverId).catch(async (error: unknown) => {
      log(`server: ${JSON.stringify((await api.mcpServersList()).servers.find((server) => server.serverId === serverId))}`);
      throw error;
    });

    // Whatever the server asks while we work is answered as a willing user would.
    const answering = answerServerRequests(client, events, serverId);
    const { tools } = await api.mcpServersCapabilities({ params: { serverId } });
    for (const tool of tools) {
      const args = argumentsFor(tool, tools);
      if (args === null) continue;
      const result = await callWithConsent(client, events, serverId, tool.name, args);
      log(`called ${tool.name}: ${JSON.stringify(result).slice(0, 300)}`);
    }
    answering.stop();
  } finally {
    // OSLOOP_CONFORMANCE_KEEP leaves the server (and its tokens) for a test to inspect.
    if (!process.env.OSLOOP_CONFORMANCE_KEEP) await api.mcpServersRemove({ params: { serverId } }).catch(() => {});
    events.stop();
  }
}

/** OAuth settings a scenario needs; discovery and registration are left to the SDK otherwise. */
function oauthFor(scenario: string, context: Context): { oauth?: Record<string, string> } {
  if (scenario === 'auth/basic-cimd') return { oauth: { clientMetadataUrl: CLIENT_METADATA_URL } };
  // A pre-registered client is bound to the authorization server the scenario names, as a user
  // would configure it (`oauth.issuer`); without one, to the first that accepts it.
  const issuer: Record<string, string> = context.issuer ? { issuer: context.issuer } : {};
  if (scenario === 'auth/pre-registration' && context.client_id) {
    return { oauth: { clientId: context.client_id, ...(context.client_secret ? { clientSecret: context.client_secret } : {}), ...issuer } };
  }
  if (scenario === 'auth/client-credentials-basic' && context.client_id && context.client_secret) {
    return { oauth: { grant: 'client_credentials', clientId: context.client_id, clientSecret: context.client_secret, ...issuer } };
  }
  return {};
}

type ListedTool = { name: string; inputSchema?: unknown };

/** The arguments a scenario's tool expects; null to leave a tool alone. */
function argumentsFor(tool: ListedTool, tools: ListedTool[]): Record<string, unknown> | null {
  if (tool.name === 'json_schema_echo') return { schema: tools.find((t) => t.name === 'json_schema_2020_12_tool')?.inputSchema ?? {} };
  const properties = (tool.inputSchema as { properties?: Record<string, { type?: string }> } | undefined)?.properties ?? {};
  const args: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(properties)) args[name] = schema.type === 'number' || schema.type === 'integer' ? 1 : schema.type === 'boolean' ? true : 'x';
  return args;
}

/** A call that may meet a step-up (403 insufficient_scope): the consent is given, the call goes on. */
async function callWithConsent(client: BridgeClient, events: EventLog, serverId: string, tool: string, args: Record<string, unknown>) {
  const consenting = consentWhenAsked(events, serverId);
  try {
    return await client.api.mcpCall({ body: { serverId, tool, arguments: args } });
  } finally {
    consenting.stop();
  }
}

/** Waits for `connected`, consenting on every `needs_auth` on the way; throws on `failed`. */
async function untilConnected(user: User, events: EventLog, serverId: string): Promise<void> {
  const consenting = consentWhenAsked(events, serverId);
  const approving = approveWhenAsked(user, events, serverId);
  try {
    await events.waitFor((e) => {
      if (e.type !== 'mcp.server.state_changed' || e.data.serverId !== serverId) return false;
      if (e.data.state === 'failed' || e.data.state === 'disconnected') throw new Error(`the server ended ${e.data.state}: ${e.data.lastError}`);
      return e.data.state === 'connected';
    });
  } finally {
    consenting.stop();
    approving.stop();
  }
}

/** The user allows the connection in the bridge's window (every HTTP server is approved first). */
function approveWhenAsked(user: User, events: EventLog, serverId: string) {
  return events.each('approve', async (e) => {
    if (e.type !== 'mcp.server.state_changed' || e.data.serverId !== serverId || e.data.state !== 'awaiting_permission' || !e.data.promptId) return;
    const response = await fetch(`${user.baseUrl}/api/v1/system/permissions/prompts/${e.data.promptId}/resolve`, {
      method: 'POST',
      headers: { origin: user.baseUrl, 'content-type': 'application/json', 'x-osloop-ui-token': user.uiToken },
      body: JSON.stringify({ decision: 'allow_once' }),
    });
    log(`approved the connection: ${response.status}`);
  });
}

/** Follows each consent page the bridge shows, as the user's browser would. */
function consentWhenAsked(events: EventLog, serverId: string) {
  return events.each('consent', async (e) => {
    if (e.type !== 'mcp.server.state_changed' || e.data.serverId !== serverId || e.data.state !== 'needs_auth' || !e.data.authorizationUrl) return;
    const authorization = await fetch(e.data.authorizationUrl, { redirect: 'manual' });
    const location = authorization.headers.get('location');
    if (!location) throw new Error(`the authorization server did not redirect (${authorization.status})`);
    const callback = await fetch(location);
    log(`consent: ${callback.status} ${await callback.text()}`);
  });
}

/** Accepts elicitations (an empty form, so the SDK applies the defaults), samples, roots. */
function answerServerRequests(client: BridgeClient, events: EventLog, serverId: string) {
  return events.each('answer', async (e) => {
    if (e.type !== 'mcp.server_request.created' || e.data.serverId !== serverId) return;
    const result =
      e.data.kind === 'elicitation'
        ? { action: 'accept', content: {} }
        : e.data.kind === 'sampling'
          ? { role: 'assistant', content: { type: 'text', text: 'A sampled answer.' }, model: 'conformance-model' }
          : { roots: [] };
    await client.api.mcpServerRequestsRespond({ params: { requestId: e.data.requestId }, body: { result } });
  });
}

interface EventLog {
  waitFor(match: (event: BridgeEvent) => boolean): Promise<BridgeEvent>;
  /** Runs `handle` once per event (seen or to come), whichever handler of `purpose` is registered. */
  each(purpose: string, handle: (event: BridgeEvent) => Promise<void>): { stop(): void };
  stop(): void;
}

/** Every `mcp.*` event from the start, with waiters and per-event handlers. */
function watchEvents(client: BridgeClient): EventLog {
  const seen: BridgeEvent[] = [];
  const listeners = new Set<(event: BridgeEvent) => void>();
  const handled = new Set<string>();
  // From the start of the bridge's buffer: an event published before the socket is ready is not missed.
  const stream = client.events({ types: ['mcp.>'], since: 0 });
  void (async () => {
    for await (const event of stream) {
      seen.push(event);
      if (event.type === 'mcp.server.state_changed') log(`state ${event.data.state}${event.data.lastError ? `: ${event.data.lastError}` : ''}`);
      for (const listener of [...listeners]) listener(event);
    }
  })().catch(() => {});
  return {
    waitFor(match) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error('timed out waiting for an event')), WAIT_MS);
        const check = (event: BridgeEvent) => {
          try {
            if (match(event)) finish(null, event);
          } catch (error) {
            finish(error as Error);
          }
        };
        function finish(error: Error | null, event?: BridgeEvent) {
          clearTimeout(timer);
          listeners.delete(check);
          if (error) reject(error);
          else resolve(event!);
        }
        listeners.add(check);
        for (const event of seen) check(event);
      });
    },
    each(purpose, handle) {
      const listener = (event: BridgeEvent) => {
        const key = `${purpose} ${event.seq}`;
        if (handled.has(key)) return;
        handled.add(key);
        void handle(event).catch((error: unknown) => log(`handler failed: ${String(error)}`));
      };
      for (const event of seen) listener(event);
      listeners.add(listener);
      return { stop: () => listeners.delete(listener) };
    },
    stop: () => stream.close?.(),
  };
}

function log(message: string): void {
  process.stderr.write(`[bridge-client] ${message}\n`);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
