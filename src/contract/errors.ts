import { z } from 'zod';

/**
 * The one registry of error codes. Every code has a stable HTTP status and a sentence that
 * `docs/contract.md` repeats; a test fails when the two disagree.
 */
export const ERROR_CODES = {
  invalid_request: { status: 400, description: 'The request is malformed: bad JSON, wrong types, unknown fields or a rule of the route broken.' },
  unauthorized: { status: 401, description: 'No, an invalid or an expired session token; `details.reason` says which.' },
  forbidden_origin: { status: 403, description: 'The `Origin` is not exactly one of the allowed origins, or differs from the origin that obtained the token.' },
  forbidden_host: { status: 403, description: 'The `Host` names another host or port than this bridge (DNS-rebinding defence).' },
  forbidden: { status: 403, description: 'The caller is authenticated but may not use this route (e.g. a web-app token on a UI-only route).' },
  path_outside_target: { status: 403, description: 'A filesystem path resolves outside every allowed target, or names a device; `details.reason` says which check refused it.' },
  read_only_target: { status: 403, description: 'A write to a path inside a target the user granted read access only.' },
  not_found: { status: 404, description: 'No such route, or no such resource (run, rule, prompt, server…).' },
  malformed_path: { status: 404, description: 'The path is a malformed form of a contract route, such as `/api/v1/api/v1/...`; `details.hint` gives the canonical one.' },
  method_not_allowed: { status: 405, description: 'The route exists but not with this method.' },
  conflict: { status: 409, description: 'The resource is not in a state that allows this (a prompt already resolved, a run already finished, a duplicate name).' },
  payload_too_large: { status: 413, description: 'The body, or a file, exceeds the configured size limit.' },
  unsupported_media_type: { status: 415, description: 'A body was sent with another content type than `application/json`.' },
  rate_limited: { status: 429, description: 'Too many requests of this kind; retry after `details.retryAfterMs`.' },
  rejected_by_user: { status: 403, description: 'The user rejected the permission prompt.' },
  bridge_policy_denied: { status: 403, description: 'The bridge policy (deny list) forbids this command.' },
  permission_timeout: { status: 408, description: 'Nobody answered the permission prompt before it expired.' },
  mcp_timeout: { status: 504, description: 'The MCP server did not answer the call in time.' },
  upstream_error: { status: 502, description: 'A local dependency (an MCP server, a native dialog) failed in a way the bridge could not recover from.' },
  unsupported: { status: 501, description: 'This route or feature is not available on this bridge or this machine; `details.reason` says why.' },
  unavailable: { status: 503, description: 'The bridge is starting, stopping or cannot reach its bus.' },
  internal: { status: 500, description: 'A bug in the bridge. Never caused by the request itself.' },
} as const satisfies Record<string, { status: number; description: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
export const errorCodeSchema = z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]);

/** The body of every error reply. */
export const errorBodySchema = z
  .object({
    error: z.object({
      code: errorCodeSchema.describe('Stable, machine-readable code from the registry.'),
      message: z.string().describe('Human-readable explanation; never contains secrets or tokens.'),
      details: z.record(z.string(), z.unknown()).optional().describe('Structured extra facts, per code.'),
    }),
  })
  .describe('Error reply');
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** An error that knows its code; thrown anywhere, turned into `ErrorBody` at the edge. */
export class BridgeError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'BridgeError';
    this.code = code;
    this.details = options.details;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }

  static isBody(value: unknown): value is ErrorBody {
    return errorBodySchema.safeParse(value).success;
  }
}
