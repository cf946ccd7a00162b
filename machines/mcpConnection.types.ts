import type { z } from 'zod';
import type { ErrorCode } from '../src/contract/errors.js';
import type { Principal } from '../src/contract/principal.js';
import type { McpServerState, mcpCapabilitiesSchema } from '../src/contract/routes/mcp.js';

/** What a server reported: identity, capabilities and its tools, resources and prompts. */
export type McpCapabilitiesSnapshot = Omit<z.infer<typeof mcpCapabilitiesSchema>, 'serverId'>;
export type McpListKind = 'tools' | 'resources' | 'prompts';

/** Restart policy of a crashed server: exponential backoff, bounded attempts. */
export interface McpRetryPolicy {
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export interface McpConnectionInput {
  serverId: string;
  name: string;
  /** Whose server it is (the registrant's origin; null: the local user): its events' audience. */
  origin: string | null;
  transportType: 'stdio' | 'streamable-http' | 'sse';
  retry: McpRetryPolicy;
}

export interface McpConnectionContext extends McpConnectionInput {
  /** The state last announced in `mcp.server.state_changed`: what listings show. */
  publicState: McpServerState;
  requestedBy: Principal | null;
  promptId: string | null;
  /** The consent page the user must open, while the server needs OAuth consent. */
  authorizationUrl: string | null;
  lastError: string | null;
  lastErrorCode: ErrorCode | null;
  /** Restarts attempted since the last successful connection. */
  reconnectAttempts: number;
  connectedAt: string | null;
  pid: number | null;
  /** Null whenever the server is not connected: its tools are not offered then. */
  capabilities: McpCapabilitiesSnapshot | null;
}

/** Why a permission request ended without an allowance. */
export type PermissionDenialCode = 'rejected_by_user' | 'permission_timeout' | 'bridge_policy_denied' | 'unavailable';

/** What the permission actor reports back. */
export type McpPermissionEvent =
  | { type: 'permission.pending'; promptId: string }
  | { type: 'permission.allowed' }
  | { type: 'permission.denied'; code: PermissionDenialCode; message: string };

/** What the connection actor reports back. */
export type McpConnectionEffectEvent =
  | { type: 'connection.ready'; snapshot: McpCapabilitiesSnapshot; pid: number | null; at: string }
  | { type: 'connection.failed'; message: string }
  | { type: 'connection.lost'; message: string }
  /** The server wants an OAuth token only the user's consent can bring: the session waits. */
  | { type: 'connection.needs_auth'; authorizationUrl: string }
  /** Consent came back and tokens were obtained; the waiting request goes on. */
  | { type: 'connection.authorized' }
  /** The user (or the authorization server) refused consent: no point in retrying. */
  | { type: 'connection.auth_refused'; message: string }
  | { type: 'capabilities.updated'; changed: McpListKind[]; lists: Partial<Pick<McpCapabilitiesSnapshot, McpListKind>>; at: string };

/** What services send. */
export type McpConnectionCommand =
  | { type: 'connect'; requestedBy: Principal }
  | { type: 'disconnect' }
  | { type: 'server.update'; name: string; transportType: McpConnectionInput['transportType'] };

export type McpConnectionEvent = McpConnectionCommand | McpPermissionEvent | McpConnectionEffectEvent;

export interface PermissionActorInput {
  serverId: string;
  requestedBy: Principal | null;
}

export interface ConnectionActorInput {
  serverId: string;
  /** 0 for the first attempt, then the restart number. */
  attempt: number;
}

/** Delay before restart number `attempt + 1`: doubles each time, capped. */
export function backoffDelay(retry: McpRetryPolicy, attempt: number): number {
  return Math.min(retry.initialDelayMs * 2 ** attempt, retry.maxDelayMs);
}
