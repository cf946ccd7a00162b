import { errorCodeSchema } from '../contract/errors.js';
import type { FleetOutcome } from './fleet-reply.js';

/**
 * Shape checks of the session wire format, by hand rather than with zod: they run on every fleet
 * request, and the zod parses of header, payload, reply and outcome cost ≈60 µs of CPU per round
 * trip in the request loop (main-thread CPU 257–285 → 181–220 µs with them removed; see
 * docs/fleet.md, "Cost"). Each check is as strict as the zod schema it replaces: exact key sets,
 * types, bounds. A request body is checked before its MAC (so that a refusal can name the
 * request) and an outcome after its AEAD tag; either way these checks keep a peer's mistake (or a
 * compromised peer) from reaching the dispatcher malformed.
 */

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** True when every key of `value` is one of `allowed`. */
function onlyKeys(value: Json, allowed: readonly string[]): boolean {
  for (const key in value) if (!allowed.includes(key)) return false;
  return true;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * A session request is a binary frame, not JSON text inside JSON (which cost a second parse and a
 * base64 MAC per message; docs/fleet.md, "Cost"):
 *
 *     0x01 | session id (22 bytes, base64url text) | body (JSON, UTF-8) | HMAC-SHA256 (32 bytes)
 *
 * A signed request (the handshake) is JSON and so begins with `{`; the first byte tells them apart.
 * A session reply is `0x01 | AES-256-GCM ciphertext | tag (16 bytes)`, everything it answers
 * (machine, session, counter) bound as associated data the orchestrator rebuilds from its request.
 */
export const SESSION_FRAME_V1 = 0x01;
export const SESSION_ID_BYTES = 22;
export const MAC_BYTES = 32;

export interface SessionFrame {
  sessionId: string;
  /** The body's JSON text. */
  body: string;
  /** Everything the MAC covers: the frame without the MAC. */
  macked: Uint8Array;
  mac: Uint8Array;
}

/** The body of a session request: what a header and a payload said, flattened. */
export interface SessionRequestBody {
  ctr: number;
  ts: number;
  op: string;
  machine: string;
  params: Json;
  query: Json;
  body?: Json;
  sealed: string | null;
}

const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;
const decoder = new TextDecoder('utf-8', { fatal: true });

/** True for bytes that begin like a session frame (the edge then verifies them as one). */
export const isSessionFrame = (data: Uint8Array): boolean => data.length > 0 && data[0] === SESSION_FRAME_V1;

/** The parts of a session frame; null when it is too short, of another version, or its id or body is not text of the right shape. */
export function parseSessionFrame(data: Uint8Array): SessionFrame | null {
  if (data.length < 1 + SESSION_ID_BYTES + 2 + MAC_BYTES || data[0] !== SESSION_FRAME_V1) return null;
  const macAt = data.length - MAC_BYTES;
  let sessionId: string;
  let body: string;
  try {
    sessionId = String.fromCharCode(...data.subarray(1, 1 + SESSION_ID_BYTES));
    body = decoder.decode(data.subarray(1 + SESSION_ID_BYTES, macAt));
  } catch {
    return null;
  }
  if (!SESSION_ID.test(sessionId)) return null;
  return { sessionId, body, macked: data.subarray(0, macAt), mac: data.subarray(macAt) };
}

const BODY_KEYS = ['ctr', 'ts', 'op', 'machine', 'params', 'query', 'body', 'sealed'] as const;

/** `{ ctr, ts, op, machine, params, query, body?, sealed }`, params and query defaulting to `{}`; null for anything else (a `principal` field included). */
export function parseSessionRequestBody(text: string): SessionRequestBody | null {
  const value = parseJson(text);
  if (!isObject(value) || !onlyKeys(value, BODY_KEYS)) return null;
  const { ctr, ts, op, machine, params = {}, query = {}, body, sealed } = value;
  if (!Number.isSafeInteger(ctr) || (ctr as number) <= 0 || !Number.isSafeInteger(ts)) return null;
  if (typeof op !== 'string' || op.length < 1 || op.length > 64 || typeof machine !== 'string' || machine.length < 1 || machine.length > 64) return null;
  if (!isObject(params) || !isObject(query) || (body !== undefined && !isObject(body)) || (sealed !== null && typeof sealed !== 'string')) return null;
  return { ctr: ctr as number, ts: ts as number, op, machine, params, query, ...(body !== undefined ? { body } : {}), sealed };
}

/** A fleet outcome: `{ ok: true, value }` or `{ ok: false, error: { code (a registry code), message, details?, reason? } }`. */
export function parseOutcome(text: string): FleetOutcome | null {
  const outcome = parseJson(text);
  if (!isObject(outcome)) return null;
  if (outcome.ok === true) return onlyKeys(outcome, ['ok', 'value']) ? { ok: true, value: outcome.value } : null;
  if (outcome.ok !== false || !onlyKeys(outcome, ['ok', 'error'])) return null;
  const { error } = outcome;
  if (!isObject(error) || !onlyKeys(error, ['code', 'message', 'details', 'reason'])) return null;
  const { message, details, reason } = error;
  const code = errorCodeSchema.safeParse(error.code);
  if (!code.success || typeof message !== 'string' || (details !== undefined && !isObject(details)) || (reason !== undefined && typeof reason !== 'string')) return null;
  return { ok: false, error: { code: code.data, message, ...(details !== undefined ? { details } : {}), ...(reason !== undefined ? { reason } : {}) } };
}
