import { z } from 'zod';
import { resourceIdSchema } from '../../contract/routes/common.js';
import { mcpOptionsSchema, type McpTransportView, type mcpTransportSchema } from '../../contract/routes/mcp.js';
import type { McpTransportSpec } from '../../mcp/connector.js';
import type { CommandTemplate } from '../permissions/permission-api.js';

/** OAuth settings as the registry keeps them: the client secret lives with the tokens instead. */
const storedOauthSchema = z.strictObject({
  grant: z.enum(['authorization_code', 'client_credentials']),
  clientId: z.string().optional(),
  clientMetadataUrl: z.string().optional(),
  scope: z.string().optional(),
  issuer: z.string().optional(),
  hasClientSecret: z.boolean(),
});

/** A transport in template form: what is persisted and what rules and prompts look at. */
export const storedTransportSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('stdio'),
    command: z.string().min(1),
    args: z.array(z.string()),
    cwd: z.string().optional(),
    env: z.record(z.string(), z.string()).optional(),
  }),
  z.strictObject({ type: z.literal('streamable-http'), url: z.string().min(1), headers: z.record(z.string(), z.string()), oauth: storedOauthSchema.optional() }),
  z.strictObject({ type: z.literal('sse'), url: z.string().min(1), headers: z.record(z.string(), z.string()), oauth: storedOauthSchema.optional() }),
]);
export type StoredTransport = z.infer<typeof storedTransportSchema>;

/** One registered server as the registry file keeps it. */
export const serverRecordSchema = z.strictObject({
  serverId: resourceIdSchema,
  name: z.string().min(1),
  /**
   * Whose server this is: the scope (origin) of whoever registered it, null for the local user.
   * A record written before servers had owners has none and becomes the local user's.
   */
  origin: z.string().nullable().default(null),
  transport: storedTransportSchema,
  /** The resolved values differ from the template, so they live only in memory. */
  needsResolvedValues: z.boolean(),
  options: mcpOptionsSchema.strict(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type ServerRecord = z.infer<typeof serverRecordSchema>;

export type TransportBody = z.infer<typeof mcpTransportSchema>;

/**
 * Splits a transport as the web app sends it into the template (stored, shown) and the
 * resolved values (run, never stored). An HTTP transport without a template holds no secret.
 */
export function splitTransport(body: TransportBody): { template: StoredTransport; resolved: McpTransportSpec; needsResolvedValues: boolean; clientSecret?: string } {
  if (body.type === 'stdio') {
    const resolved: McpTransportSpec = { type: 'stdio', command: body.command, args: body.args, ...optional('cwd', body.cwd), ...optional('env', body.env) };
    const { template: t } = body;
    const template: StoredTransport = { type: 'stdio', command: t.command, args: t.args, ...optional('cwd', t.cwd), ...optional('env', t.env) };
    return { template, resolved, needsResolvedValues: !sameJson(template, resolved) };
  }
  const resolved: McpTransportSpec = { type: body.type, url: body.url, headers: body.headers };
  const base: Extract<StoredTransport, { type: 'streamable-http' | 'sse' }> = body.template ? { type: body.type, url: body.template.url, headers: body.template.headers } : { ...resolved };
  const needsResolvedValues = !sameJson(base, resolved);
  if (!body.oauth) return { template: base, resolved, needsResolvedValues };
  const { clientSecret, grant, clientId, clientMetadataUrl, scope, issuer } = body.oauth;
  const oauth = {
    grant,
    hasClientSecret: clientSecret !== undefined,
    ...optional('clientId', clientId),
    ...optional('clientMetadataUrl', clientMetadataUrl),
    ...optional('scope', scope),
    ...optional('issuer', issuer),
  };
  return { template: { ...base, oauth }, resolved, needsResolvedValues, ...optional('clientSecret', clientSecret) };
}

/** The resolved values of a server whose template holds none: the template itself. */
export function specFromTemplate(template: StoredTransport): McpTransportSpec {
  return template.type === 'stdio'
    ? { type: 'stdio', command: template.command, args: template.args, ...optional('cwd', template.cwd), ...optional('env', template.env) }
    : { type: template.type, url: template.url, headers: template.headers };
}

/** A server's OAuth settings, defaults filled in, for the SDK provider. */
export function oauthSettings(template: StoredTransport) {
  if (template.type === 'stdio') return null;
  const oauth = template.oauth;
  return { grant: oauth?.grant ?? ('authorization_code' as const), clientId: oauth?.clientId, clientMetadataUrl: oauth?.clientMetadataUrl, scope: oauth?.scope, issuer: oauth?.issuer };
}

/** The transport as listings and events show it: names of variables and headers, no values. */
export function transportView(template: StoredTransport): McpTransportView {
  if (template.type === 'stdio') {
    return { type: 'stdio', command: template.command, args: template.args, cwd: template.cwd ?? null, envNames: Object.keys(template.env ?? {}).sort() };
  }
  const { oauth } = template;
  return {
    type: template.type,
    url: template.url,
    headerNames: Object.keys(template.headers).sort(),
    oauth: oauth
      ? {
          grant: oauth.grant,
          clientId: oauth.clientId ?? null,
          clientMetadataUrl: oauth.clientMetadataUrl ?? null,
          scope: oauth.scope ?? null,
          issuer: oauth.issuer ?? null,
          hasClientSecret: oauth.hasClientSecret,
        }
      : null,
  };
}

/** What the permission authority shows and matches for a stdio server: its command line. */
export function permissionTemplate(template: Extract<StoredTransport, { type: 'stdio' }>): CommandTemplate {
  return { command: template.command, args: template.args, cwd: template.cwd ?? null };
}

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]', '::1']);

/** An HTTP server reached over the network rather than on this machine: flagged in listings. */
export function isNonLoopback(template: StoredTransport): boolean {
  if (template.type === 'stdio') return false;
  let host: string;
  try {
    host = new URL(template.url).hostname.toLowerCase();
  } catch {
    // A template URL with placeholders may not parse; it cannot be shown to be local.
    return true;
  }
  return !(LOOPBACK_HOSTS.has(host) || /^127(\.\d{1,3}){3}$/.test(host));
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, canonical(v)]));
  }
  return value;
}
