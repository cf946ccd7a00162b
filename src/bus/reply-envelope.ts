import { BridgeError, ERROR_CODES, type ErrorCode } from '../contract/errors.js';
import type { BusMessage, RequestHandler } from './bus.js';
import type { ErrorReporter } from './errors.js';

/**
 * What travels back on a reply, on both buses: either the handler's value or the `BridgeError`
 * it threw. Wrapping every reply (also those sent with `message.respond`) keeps "the handler
 * returned an object that looks like an error" apart from "the handler failed".
 */
export type ReplyEnvelope =
  | { ok: true; value?: unknown }
  | { ok: false; error: { code: ErrorCode; message: string; details?: Record<string, unknown> } };

/** What the requester sees when a handler fails with anything but a `BridgeError`. */
const INTERNAL_MESSAGE = 'The request handler failed unexpectedly';

/** Wraps a successful reply value. */
export function okEnvelope(value: unknown): ReplyEnvelope {
  return { ok: true, value };
}

/** Runs a `serve()` handler and turns its outcome, value or throw, into the envelope to send. */
export async function settleRequest(
  handler: RequestHandler,
  message: BusMessage,
  report: ErrorReporter,
): Promise<ReplyEnvelope> {
  return settleRequestSoon(handler, message, report);
}

/**
 * `settleRequest`, but synchronous when the handler is: most handlers answer from memory, and
 * the in-process bus then replies without a promise in between.
 */
export function settleRequestSoon(
  handler: RequestHandler,
  message: BusMessage,
  report: ErrorReporter,
): ReplyEnvelope | Promise<ReplyEnvelope> {
  let value: unknown;
  try {
    value = handler(message.data, message);
  } catch (error) {
    return errorEnvelope(error, message, report);
  }
  if (typeof (value as PromiseLike<unknown> | null)?.then !== 'function') return okEnvelope(value);
  return Promise.resolve(value).then(okEnvelope, (error: unknown) => errorEnvelope(error, message, report));
}

function errorEnvelope(error: unknown, message: BusMessage, report: ErrorReporter): ReplyEnvelope {
  if (error instanceof BridgeError) {
    const { code, message: text, details } = error;
    return { ok: false, error: { code, message: text, ...(details ? { details } : {}) } };
  }
  // Anything else is a bug on the serving side: log it there, send only a generic sentence so
  // that neither its message nor its stack reaches the requester (and from there a browser).
  report(error, { subject: message.subject });
  return { ok: false, error: { code: 'internal', message: INTERNAL_MESSAGE } };
}

/** Unwraps a received envelope: returns the value, or throws the `BridgeError` it carries. */
export function openEnvelope(envelope: unknown, subject: string): unknown {
  if (isRecord(envelope)) {
    if (envelope.ok === true) return envelope.value;
    const error = envelope.error;
    if (envelope.ok === false && isRecord(error) && isErrorCode(error.code) && typeof error.message === 'string') {
      const details = isRecord(error.details) ? error.details : undefined;
      throw new BridgeError(error.code, error.message, details ? { details } : {});
    }
  }
  // A foreign or older responder: refuse to guess what it meant. The subject stays out of the
  // message for the same reason as above: this error may end up in an HTTP reply.
  throw new BridgeError('internal', 'A bus responder sent a malformed reply', { cause: { subject, envelope } });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}
