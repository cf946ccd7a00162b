import { ERROR_CODES, type ErrorCode } from '../contract/errors.js';

/**
 * A request the bridge refused, or could not be sent. `code` comes from the contract's error
 * registry; `status` is the HTTP status, or null when no reply arrived (then `code` is
 * `unavailable`).
 */
export class BridgeClientError extends Error {
  readonly code: ErrorCode;
  readonly status: number | null;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: { status?: number | null; details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'BridgeClientError';
    this.code = code;
    this.status = options.status ?? null;
    this.details = options.details;
  }
}

/** The bridge answered, but speaks another protocol version (or is not a bridge at all). */
export class ProtocolMismatchError extends BridgeClientError {
  readonly expected: string;
  readonly received: unknown;

  constructor(expected: string, received: unknown, status: number) {
    super('unsupported', `The bridge speaks ${JSON.stringify(received)}, this client ${JSON.stringify(expected)}.`, {
      status,
      details: { expected, received },
    });
    this.name = 'ProtocolMismatchError';
    this.expected = expected;
    this.received = received;
  }
}

/**
 * Thrown by an event stream when the events after `requestedSince` are no longer buffered by the
 * bridge: whatever state was built from the stream is stale. Resync through the REST routes, then
 * call `events()` again (with `since: oldestAvailable - 1` to get what is still buffered).
 */
export class ReplayGapError extends Error {
  readonly requestedSince: number;
  readonly oldestAvailable: number;

  constructor(frame: { requestedSince: number; oldestAvailable: number; message: string }) {
    super(frame.message);
    this.name = 'ReplayGapError';
    this.requestedSince = frame.requestedSince;
    this.oldestAvailable = frame.oldestAvailable;
  }
}

/** The code a bare status implies when the body is not a contract error body (a proxy, a crash). */
const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  408: 'permission_timeout',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  501: 'unsupported',
  502: 'upstream_error',
  503: 'unavailable',
  504: 'unavailable',
};

const isErrorCode = (value: unknown): value is ErrorCode => typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);

/** Reads `{ error: { code, message, details } }`; anything else still becomes a typed error. */
export function errorFromReply(status: number, text: string): BridgeClientError {
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return errorFromBody(status, body, text);
}

/** `errorFromReply` for a body already parsed (a socket reply frame's). */
export function errorFromBody(status: number, body: unknown, text = ''): BridgeClientError {
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
  if (error && isErrorCode(error.code)) {
    const details = error.details && typeof error.details === 'object' && !Array.isArray(error.details) ? (error.details as Record<string, unknown>) : undefined;
    return new BridgeClientError(error.code, typeof error.message === 'string' ? error.message : error.code, {
      status,
      ...(details ? { details } : {}),
    });
  }
  const code = CODE_BY_STATUS[status] ?? (status >= 500 ? 'internal' : 'invalid_request');
  return new BridgeClientError(code, `The bridge replied ${status} without a contract error body.`, {
    status,
    details: { body: (text || JSON.stringify(body) || '').slice(0, 500) },
  });
}

/** A fetch or socket that never got a reply: the bridge is not running, or the network failed. */
export function unavailableError(cause: unknown): BridgeClientError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new BridgeClientError('unavailable', `Cannot reach the bridge: ${reason}`, { cause });
}

/** Whether retrying later may succeed: no reply, a bridge-side failure, or a rate limit. */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof BridgeClientError)) return false;
  return error.status === null || error.status >= 500 || error.code === 'rate_limited';
}
