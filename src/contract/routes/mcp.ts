import { z } from 'zod';
import { errorCodeSchema } from '../errors.js';
import { defineRoute } from '../route.js';
import { LONG_POLL_MARGIN_MS, checkTemplateMatches, commandTemplateSchema } from './commands.js';
import { idParams, noNulString, resourceIdSchema } from './common.js';

/** Per-call timeout when neither the call nor the server's options set one (the SDK's default). */
export const MCP_DEFAULT_CALL_TIMEOUT_MS = 60_000;
/** Progress notifications reset a call's timeout, but a call never lasts longer than this. */
export const MCP_CALL_HARD_CAP_MS = 600_000;

export const mcpServerStateSchema = z.enum(['disconnected', 'connecting', 'connected', 'reconnecting', 'failed', 'awaiting_permission', 'needs_auth']);
export type McpServerState = z.infer<typeof mcpServerStateSchema>;

const stdioFields = commandTemplateSchema.omit({ stdin: true });
const headersSchema = z.record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be an HTTP header name'), noNulString);
const httpUrl = z.url({ protocol: /^https?$/ }).describe('http(s) URL of the server\'s MCP endpoint; a non-loopback host is allowed but flagged.');
const httpFields = z.strictObject({ url: httpUrl, headers: headersSchema.default({}) });

/**
 * OAuth 2.1 settings of an HTTP server; all optional. Without them the bridge discovers the
 * authorization server from the server's 401 and registers itself (dynamic client registration).
 */
export const mcpOauthSchema = z
  .strictObject({
    grant: z
      .enum(['authorization_code', 'client_credentials'])
      .default('authorization_code')
      .describe('`authorization_code`: the user consents in the browser. `client_credentials`: a machine server, no user involved (needs `clientId` and `clientSecret`).'),
    clientId: z.string().min(1).max(512).optional().describe('A pre-registered client; skips dynamic registration.'),
    clientSecret: noNulString.max(4_096).optional().describe('Kept owner-only with the tokens, never stored in the registry nor shown.'),
    clientMetadataUrl: z.url({ protocol: /^https$/ }).optional().describe('HTTPS URL of this client\'s client ID metadata document, used as client_id where the authorization server supports it.'),
    scope: z.string().max(1_000).optional().describe('Scope to ask for when neither WWW-Authenticate nor the resource metadata names one.'),
    issuer: z
      .url({ protocol: /^https?$/ })
      .max(2_048)
      .optional()
      .describe(
        'Issuer URL of the authorization server a pre-registered client (`clientId`) belongs to. Its secret and tokens go to that server only: an MCP server that names another one is refused. Omitted, the first authorization server that accepts the client binds it.',
      ),
  })
  .refine((oauth) => oauth.grant !== 'client_credentials' || (oauth.clientId && oauth.clientSecret), 'client_credentials needs clientId and clientSecret')
  .refine((oauth) => oauth.issuer === undefined || oauth.clientId !== undefined, 'issuer binds a pre-registered client: it needs clientId');

const stdioTransportSchema = stdioFields
  .extend({
    type: z.literal('stdio'),
    template: stdioFields.describe('The same fields before secret resolution: what the prompt shows, what rules match and what is stored.'),
  })
  .superRefine((transport, ctx) => checkTemplateMatches(transport, ctx));

const httpTransport = <T extends 'streamable-http' | 'sse'>(type: T) =>
  httpFields.extend({
    type: z.literal(type),
    oauth: mcpOauthSchema.optional(),
    template: httpFields
      .optional()
      .describe('The same fields before secret resolution (e.g. an Authorization header). Omitted: the values hold no secret and are stored and shown as they are.'),
  });

/** How to reach a server, as the web app sends it: resolved values plus their template. */
export const mcpTransportSchema = z.discriminatedUnion('type', [stdioTransportSchema, httpTransport('streamable-http'), httpTransport('sse')]);

const headerNames = z.array(z.string()).describe('Names of the headers sent; their values are never shown.');
const oauthView = z
  .object({
    grant: z.enum(['authorization_code', 'client_credentials']),
    clientId: z.string().nullable(),
    clientMetadataUrl: z.string().nullable(),
    scope: z.string().nullable(),
    issuer: z.string().nullable(),
    hasClientSecret: z.boolean(),
  })
  .nullable()
  .describe('OAuth settings as given, without the client secret; null when none were given.');

/**
 * The transport as the bridge shows it: template values only, and never the values of `env` or
 * `headers` (they hold credentials even in template form, e.g. a literal API key).
 */
export const mcpTransportViewSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('stdio'),
    command: z.string(),
    args: z.array(z.string()),
    cwd: z.string().nullable(),
    envNames: z.array(z.string()).describe('Names of the variables set; their values are never shown.'),
  }),
  z.object({ type: z.literal('streamable-http'), url: z.string(), headerNames, oauth: oauthView }),
  z.object({ type: z.literal('sse'), url: z.string(), headerNames, oauth: oauthView }),
]);
export type McpTransportView = z.infer<typeof mcpTransportViewSchema>;

const optionFields = {
  autoConnect: z.boolean().describe('Connect when registered and whenever the bridge starts.'),
  callTimeoutMs: z.number().int().positive().max(MCP_CALL_HARD_CAP_MS).describe('Default timeout of a tool call to this server.'),
  enabledTools: z.array(z.string().min(1)).nullable().describe('Allow-list of tool names offered to the web app; null offers every tool.'),
};
export const mcpOptionsSchema = z.object(optionFields);
const mcpOptionsBody = z.strictObject({
  autoConnect: optionFields.autoConnect.default(false),
  callTimeoutMs: optionFields.callTimeoutMs.default(MCP_DEFAULT_CALL_TIMEOUT_MS),
  enabledTools: optionFields.enabledTools.default(null),
});

const serverName = z
  .string()
  .min(1)
  .max(100)
  .refine((name) => ![...name].some((char) => char.charCodeAt(0) < 0x20), 'must not contain control characters')
  .describe('Unique among the servers of one origin; a duplicate gets 409.');

/** A registered server as listed: state, flags, and the template form of its transport. */
export const mcpServerViewSchema = z.object({
  serverId: resourceIdSchema,
  name: z.string(),
  origin: z
    .string()
    .nullable()
    .describe(
      'Whose server this is: the origin that registered it. Only that origin\'s sessions (and the local UI) see, use, change or remove it, or hear its events. null: the local user\'s (registered without an origin); fleet orchestrators may list and call these.',
    ),
  transport: mcpTransportViewSchema,
  options: mcpOptionsSchema,
  state: mcpServerStateSchema,
  nonLoopback: z.boolean().describe('An HTTP server on a host other than loopback.'),
  needsResolvedValues: z
    .boolean()
    .describe(
      'The bridge lacks the resolved values it needs: they differ from the template, live only in memory, and the bridge restarted since. Connecting answers 409 until the web app sends the transport again (PATCH).',
    ),
  promptId: resourceIdSchema.nullable().describe('Pending permission prompt, when `state` is awaiting_permission.'),
  authorizationUrl: z.string().nullable().describe('When `state` is needs_auth: the consent page to open (or `POST …/authorize` from the local UI).'),
  lastError: z.string().nullable(),
  lastErrorCode: errorCodeSchema
    .nullable()
    .describe('Why the last connect ended without a connection: rejected_by_user, permission_timeout, bridge_policy_denied or upstream_error.'),
  pid: z.number().int().nullable().describe('Process id of a running stdio server.'),
  stderrTail: z.array(z.string()).describe('Last lines a stdio server wrote to stderr (bounded).'),
  reconnectAttempts: z.number().int().min(0),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  connectedAt: z.iso.datetime().nullable(),
});
export type McpServerView = z.infer<typeof mcpServerViewSchema>;

const serverParams = idParams('serverId', 'The MCP server.');
const stateReply = z.object({ serverId: resourceIdSchema, state: mcpServerStateSchema });

export const mcpServersList = defineRoute({
  id: 'mcp.servers.list',
  method: 'GET',
  path: '/api/v1/mcp/servers',
  auth: 'session_or_ui',
  summary: 'List MCP servers',
  reply: z.object({ servers: z.array(mcpServerViewSchema) }),
});

export const mcpServersRegister = defineRoute({
  id: 'mcp.servers.register',
  method: 'POST',
  path: '/api/v1/mcp/servers',
  auth: 'session_or_ui',
  summary: 'Register an MCP server',
  body: z.strictObject({ name: serverName, transport: mcpTransportSchema, options: mcpOptionsBody.prefault({}) }),
  reply: mcpServerViewSchema,
  successStatus: 201,
});

export const mcpServersUpdate = defineRoute({
  id: 'mcp.servers.update',
  method: 'PATCH',
  path: '/api/v1/mcp/servers/:serverId',
  auth: 'session_or_ui',
  summary: 'Update an MCP server',
  params: serverParams,
  body: z
    .strictObject({
      name: serverName.optional(),
      transport: mcpTransportSchema.optional().describe('Replaces the whole transport; a connected server reconnects with it.'),
      options: z.strictObject(optionFields).partial().optional().describe('Only the options given change.'),
    })
    .refine((body) => Object.keys(body).length > 0, 'must change at least one field'),
  reply: mcpServerViewSchema,
});

export const mcpServersRemove = defineRoute({
  id: 'mcp.servers.remove',
  method: 'DELETE',
  path: '/api/v1/mcp/servers/:serverId',
  auth: 'session_or_ui',
  summary: 'Remove an MCP server',
  params: serverParams,
  reply: z.object({ serverId: resourceIdSchema, removed: z.literal(true) }).describe('A connected server is disconnected first.'),
});

export const mcpServersConnect = defineRoute({
  id: 'mcp.servers.connect',
  method: 'POST',
  path: '/api/v1/mcp/servers/:serverId/connect',
  auth: 'session_or_ui',
  summary: 'Connect to an MCP server',
  params: serverParams,
  reply: stateReply
    .extend({ promptId: resourceIdSchema.optional().describe('Set when starting a stdio server awaits the user\'s permission.') })
    .describe('Idempotent. Replies once the connection has started (or awaits permission); watch mcp.server.state_changed.'),
  successStatus: 202,
});

export const mcpServersDisconnect = defineRoute({
  id: 'mcp.servers.disconnect',
  method: 'POST',
  path: '/api/v1/mcp/servers/:serverId/disconnect',
  auth: 'session_or_ui',
  summary: 'Disconnect from an MCP server',
  params: serverParams,
  reply: stateReply.describe('Idempotent; `state` is disconnected.'),
});

/** MCP-defined shapes are passed through unchanged: only the fields the bridge reads are checked. */
export const mcpCapabilitiesSchema = z.object({
  serverId: resourceIdSchema,
  serverInfo: z.looseObject({ name: z.string() }).describe('MCP `Implementation` as the server reported it.'),
  protocolVersion: z.string().nullable(),
  capabilities: z.record(z.string(), z.unknown()).describe('MCP `ServerCapabilities`, unchanged.'),
  instructions: z.string().nullable(),
  tools: z.array(z.looseObject({ name: z.string() })).describe('MCP `Tool` objects, unchanged; only those in `enabledTools` when it is set.'),
  resources: z.array(z.looseObject({ uri: z.string() })),
  prompts: z.array(z.looseObject({ name: z.string() })),
  listedAt: z.iso.datetime(),
});

export const mcpServersCapabilities = defineRoute({
  id: 'mcp.servers.capabilities',
  method: 'GET',
  path: '/api/v1/mcp/servers/:serverId/capabilities',
  auth: 'session_or_ui',
  summary: 'Get MCP server capabilities',
  params: serverParams,
  reply: mcpCapabilitiesSchema,
});

/** What the bridge adds to a call's result: never a field MCP defines. */
export const callBridgeFactsSchema = z.object({
  callId: resourceIdSchema.describe('The call\'s id: the one sent, or one the bridge made. Keys `mcp.call.progress` and the cancel route.'),
  outputSchema: z
    .enum(['valid', 'invalid', 'not_declared', 'not_checked'])
    .describe('`structuredContent` checked against the tool\'s declared `outputSchema`: `invalid` when it breaks it or is missing; `not_checked` for a tool error.'),
  outputSchemaErrors: z.array(z.string()).describe('Why it is invalid; empty otherwise.'),
});

export const callToolResultSchema = z
  .looseObject({
    content: z.array(z.unknown()).optional(),
    structuredContent: z.record(z.string(), z.unknown()).optional(),
    isError: z.boolean().optional().describe('A tool error is a result, not a bridge error.'),
    bridge: callBridgeFactsSchema,
  })
  .describe('MCP `CallToolResult` exactly as the server returned it (`structuredContent` included), plus the bridge\'s `bridge` facts.');

export const mcpCall = defineRoute({
  id: 'mcp.call',
  method: 'POST',
  path: '/api/v1/mcp/call',
  auth: 'session_or_ui',
  summary: 'Call an MCP tool',
  body: z.strictObject({
    serverId: resourceIdSchema,
    tool: z.string().min(1).max(256),
    arguments: z.record(z.string(), z.unknown()).default({}).describe('Passed to the tool unchanged; never logged nor put in events.'),
    timeoutMs: z.number().int().positive().max(MCP_CALL_HARD_CAP_MS).optional().describe('Defaults to the server\'s `callTimeoutMs`; progress notifications reset it.'),
    callId: resourceIdSchema
      .optional()
      .describe('The caller\'s id for this call: progress arrives as `mcp.call.progress` with it, and `POST /api/v1/mcp/calls/:callId/cancel` cancels it. One is made when omitted; ids of calls in flight must be unique (409).'),
  }),
  reply: callToolResultSchema,
  replyTimeoutMs: () => MCP_CALL_HARD_CAP_MS + LONG_POLL_MARGIN_MS,
  abortOnClose: true,
});
