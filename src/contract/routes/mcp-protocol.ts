import { z } from 'zod';
import { defineRoute } from '../route.js';
import { LONG_POLL_MARGIN_MS } from './commands.js';
import { principalSchema } from '../principal.js';
import { idParams, resourceIdSchema } from './common.js';

/**
 * The MCP requests the bridge proxies besides tool calls (resources, prompts, completion,
 * logging), the server's own requests the web app answers (elicitation, sampling, roots), call
 * cancellation and the OAuth callback. MCP-defined shapes pass through unchanged: only what the
 * bridge reads is checked, the server and the SDK check the rest.
 */

/** Longest wait for a proxied request that is not a tool call. */
export const MCP_REQUEST_TIMEOUT_MS = 60_000;

const serverId = resourceIdSchema.describe('The MCP server.');
const timeoutMs = z.number().int().positive().max(MCP_REQUEST_TIMEOUT_MS).optional().describe(`Defaults to ${MCP_REQUEST_TIMEOUT_MS} ms.`);
const uri = z.string().min(1).max(8_192).describe('Resource URI as the server listed it.');
const mcpResult = (what: string) => z.looseObject({}).describe(`MCP \`${what}\` exactly as the server returned it.`);
const replyTimeout = () => MCP_REQUEST_TIMEOUT_MS + LONG_POLL_MARGIN_MS;

export const mcpResourcesRead = defineRoute({
  id: 'mcp.resources.read',
  method: 'POST',
  path: '/api/v1/mcp/resources/read',
  auth: 'session_or_ui',
  summary: 'Read an MCP resource',
  body: z.strictObject({ serverId, uri, timeoutMs }),
  reply: mcpResult('ReadResourceResult'),
  replyTimeoutMs: replyTimeout,
});

export const mcpResourceTemplates = defineRoute({
  id: 'mcp.resources.templates',
  method: 'GET',
  path: '/api/v1/mcp/servers/:serverId/resource-templates',
  auth: 'session_or_ui',
  summary: 'List MCP resource templates',
  params: idParams('serverId', 'The MCP server.'),
  reply: z.object({ serverId, resourceTemplates: z.array(z.looseObject({ uriTemplate: z.string() })).describe('MCP `ResourceTemplate` objects, every page.') }),
  replyTimeoutMs: replyTimeout,
});

const subscription = z.strictObject({ serverId, uri });
export const mcpResourcesSubscribe = defineRoute({
  id: 'mcp.resources.subscribe',
  method: 'POST',
  path: '/api/v1/mcp/resources/subscribe',
  auth: 'session_or_ui',
  summary: 'Subscribe to an MCP resource',
  body: subscription,
  reply: z.object({ serverId, uri: z.string(), subscribed: z.literal(true) }).describe('Each update then arrives as `mcp.resource.updated`.'),
  replyTimeoutMs: replyTimeout,
});

export const mcpResourcesUnsubscribe = defineRoute({
  id: 'mcp.resources.unsubscribe',
  method: 'POST',
  path: '/api/v1/mcp/resources/unsubscribe',
  auth: 'session_or_ui',
  summary: 'Unsubscribe from an MCP resource',
  body: subscription,
  reply: z.object({ serverId, uri: z.string(), subscribed: z.literal(false) }),
  replyTimeoutMs: replyTimeout,
});

export const mcpPromptsGet = defineRoute({
  id: 'mcp.prompts.get',
  method: 'POST',
  path: '/api/v1/mcp/prompts/get',
  auth: 'session_or_ui',
  summary: 'Get an MCP prompt',
  body: z.strictObject({
    serverId,
    name: z.string().min(1).max(256),
    arguments: z.record(z.string(), z.string()).default({}).describe('Never logged nor put in events.'),
    timeoutMs,
  }),
  reply: mcpResult('GetPromptResult'),
  replyTimeoutMs: replyTimeout,
});

export const mcpComplete = defineRoute({
  id: 'mcp.complete',
  method: 'POST',
  path: '/api/v1/mcp/complete',
  auth: 'session_or_ui',
  summary: 'Complete an MCP argument',
  body: z.strictObject({
    serverId,
    ref: z.discriminatedUnion('type', [
      z.strictObject({ type: z.literal('ref/prompt'), name: z.string().min(1) }),
      z.strictObject({ type: z.literal('ref/resource'), uri: z.string().min(1) }),
    ]),
    argument: z.strictObject({ name: z.string().min(1), value: z.string() }),
    context: z.strictObject({ arguments: z.record(z.string(), z.string()).optional() }).optional(),
    timeoutMs,
  }),
  reply: mcpResult('CompleteResult'),
  replyTimeoutMs: replyTimeout,
});

export const mcpLoggingLevelSchema = z.enum(['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency']);

export const mcpLoggingSetLevel = defineRoute({
  id: 'mcp.logging.set_level',
  method: 'POST',
  path: '/api/v1/mcp/servers/:serverId/logging-level',
  auth: 'session_or_ui',
  summary: 'Set an MCP server\'s logging level',
  params: idParams('serverId', 'The MCP server.'),
  body: z.strictObject({ level: mcpLoggingLevelSchema }),
  reply: z.object({ serverId, level: mcpLoggingLevelSchema }).describe('Messages at this level and above then arrive as `mcp.server.log`.'),
  replyTimeoutMs: replyTimeout,
});

/** One message a server logged, as the MCP page shows it and `mcp.server.log` carries it. */
export const mcpLogEntrySchema = z.object({
  serverId,
  level: z.string(),
  logger: z.string().nullable(),
  data: z.unknown().describe('The message\'s `data`; replaced by a string preview past 8 KiB of JSON.'),
  truncated: z.boolean(),
  at: z.iso.datetime(),
});

export const mcpServerLogs = defineRoute({
  id: 'mcp.servers.logs',
  method: 'GET',
  path: '/api/v1/mcp/servers/:serverId/logs',
  auth: 'session_or_ui',
  summary: 'Recent MCP server log messages',
  params: idParams('serverId', 'The MCP server.'),
  reply: z.object({ serverId, messages: z.array(mcpLogEntrySchema).describe('Oldest first; the last 200 at most.') }),
});

export const mcpCallsCancel = defineRoute({
  id: 'mcp.calls.cancel',
  method: 'POST',
  path: '/api/v1/mcp/calls/:callId/cancel',
  auth: 'session_or_ui',
  summary: 'Cancel an MCP tool call',
  params: idParams('callId', 'The `callId` the call was made with or given back.'),
  reply: z.object({ callId: resourceIdSchema, cancelled: z.literal(true) }).describe('The server is sent `notifications/cancelled`; the call answers 409 `conflict`.'),
});

export const serverRequestKindSchema = z.enum(['elicitation', 'sampling', 'roots']);
export const serverRequestStateSchema = z.enum(['pending', 'answered', 'rejected', 'timed_out', 'cancelled']);

/**
 * Who sees and answers a server's request: MCP does not say which client request it serves, so
 * the bridge reads it from whose requests to that server were in flight when it asked.
 */
export const serverRequestAudienceShape = {
  visibleTo: z
    .enum(['caller', 'ui_only', 'everyone'])
    .describe(
      '`caller`: one origin\'s requests to the server were in flight, and only that origin (and the local UI) sees and answers it; `ui_only`: several origins\' were, so only the local UI does; `everyone`: none were (the server asked on its own, as for roots after the handshake), so everyone who may use the server does: its origin and the local UI.',
    ),
  requestedBy: principalSchema.nullable().describe('With `visibleTo: "caller"`, who made that origin\'s latest request still in flight to the server; null otherwise.'),
};

/** A request an MCP server made of the bridge, waiting for the web app or the local UI. */
export const serverRequestViewSchema = z.object({
  requestId: resourceIdSchema,
  serverId,
  serverName: z.string(),
  kind: serverRequestKindSchema,
  mode: z.enum(['form', 'url']).nullable().describe('Elicitation only: a form to fill, or a URL the user may choose to open (nothing opens it by itself).'),
  params: z.record(z.string(), z.unknown()).describe('The MCP request\'s params as the server sent them (`message`, `requestedSchema`, `url`, `messages`…).'),
  state: serverRequestStateSchema,
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime().describe('Unanswered by then, the server gets JSON-RPC error -32001 (request timeout).'),
  ...serverRequestAudienceShape,
});
export type ServerRequestView = z.infer<typeof serverRequestViewSchema>;

export const mcpServerRequestsList = defineRoute({
  id: 'mcp.server_requests.list',
  method: 'GET',
  path: '/api/v1/mcp/server-requests',
  auth: 'session_or_ui',
  summary: 'List pending MCP server requests',
  reply: z.object({ requests: z.array(serverRequestViewSchema) }),
});

export const mcpServerRequestsRespond = defineRoute({
  id: 'mcp.server_requests.respond',
  method: 'POST',
  path: '/api/v1/mcp/server-requests/:requestId/respond',
  auth: 'session_or_ui',
  summary: 'Answer an MCP server request',
  params: idParams('requestId', 'The pending server request.'),
  body: z.union([
    z.strictObject({
      result: z
        .record(z.string(), z.unknown())
        .describe('The MCP result: `ElicitResult` (`action`, `content`), `CreateMessageResult` (`role`, `content`, `model`) or `ListRootsResult` (`roots`). Checked against the SDK\'s schema.'),
    }),
    z.strictObject({ reject: z.strictObject({ message: z.string().max(1_000).default('The user rejected the request.') }).describe('The server gets JSON-RPC error -1.') }),
  ]),
  reply: z.object({ requestId: resourceIdSchema, state: serverRequestStateSchema }),
});

export const mcpServersAuthorize = defineRoute({
  id: 'mcp.servers.authorize',
  method: 'POST',
  path: '/api/v1/mcp/servers/:serverId/authorize',
  auth: 'session_or_ui',
  summary: 'Open an MCP server\'s consent page',
  params: idParams('serverId', 'The MCP server.'),
  reply: z.object({
    serverId,
    authorizationUrl: z.string().describe('The authorization server\'s consent page; its redirect comes back to `/api/v1/mcp/oauth/callback`.'),
    opened: z.boolean().describe('True when the bridge opened it in the default browser: only for the local UI. A web-app session opens it itself.'),
  }),
});

export const mcpOauthCallback = defineRoute({
  id: 'mcp.oauth.callback',
  method: 'GET',
  path: '/api/v1/mcp/oauth/callback',
  auth: 'none',
  summary: 'OAuth redirect back from an authorization server',
  query: z.strictObject({
    state: z.string().min(1).max(512).describe('Must be the state of a consent the bridge is waiting for; anything else is refused.'),
    code: z.string().min(1).max(4_096).optional(),
    error: z.string().max(256).optional(),
    error_description: z.string().max(1_000).optional(),
    error_uri: z.string().max(2_048).optional(),
    iss: z.string().max(2_048).optional().describe('RFC 9207 issuer identifier, as authorization servers add it.'),
    session_state: z.string().max(2_048).optional().describe('Added by OpenID providers; not used.'),
  }),
  reply: z.object({ serverId, authorized: z.boolean(), message: z.string() }),
});
