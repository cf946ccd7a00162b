import { errorCodeSchema } from '../contract/errors.js';
import type { FleetOutcome } from './fleet-reply.js';

/**
 * Shape checks of the session wire format, by hand rather than with zod: they run on every fleet
 * request, and the zod parses of header, payload, reply and outcome cost ≈60 µs of CPU per round
 * trip in the request loop (main-thread CPU 257–285 → 181–220 µs with them removed; see
 * docs/fleet.md, "Cost"). Each check is as strict as the zod schema it replaces: exact key sets,
 * types, bounds. Everything after the MAC or the AEAD tag is authenticated already; these checks
 * are what keeps a peer's mistake (or a compromised peer) from reaching the dispatcher malformed.
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

export interface SessionWire {
  session: string;
  payload: string;
  mac: string;
}

export interface SessionHeader {
  v: 1;
  sid: string;
  ctr: number;
  ts: number;
  op: string;
  machine: string;
}

export interface RequestPayload {
  clear: { params: Json; query: Json; body?: Json };
  sealed: string | null;
}

const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;

export function parseSessionWire(value: unknown): SessionWire | null {
  if (!isObject(value) || !onlyKeys(value, ['session', 'payload', 'mac'])) return null;
  const { session, payload, mac } = value;
  if (typeof session !== 'string' || session.length > 1024 || typeof payload !== 'string' || typeof mac !== 'string' || mac.length > 64) return null;
  return { session, payload, mac };
}

export function parseSessionHeader(text: string): SessionHeader | null {
  const header = parseJson(text);
  if (!isObject(header) || !onlyKeys(header, ['v', 'sid', 'ctr', 'ts', 'op', 'machine'])) return null;
  const { v, sid, ctr, ts, op, machine } = header;
  if (v !== 1 || typeof sid !== 'string' || !SESSION_ID.test(sid)) return null;
  if (!Number.isSafeInteger(ctr) || (ctr as number) <= 0 || !Number.isSafeInteger(ts)) return null;
  if (typeof op !== 'string' || op.length < 1 || op.length > 64 || typeof machine !== 'string' || machine.length < 1 || machine.length > 64) return null;
  return { v, sid, ctr: ctr as number, ts: ts as number, op, machine };
}

/** `{ clear: { params, query, body? }, sealed }`, params and query defaulting to `{}`; null for anything else (a `principal` field included). */
export function parseRequestPayload(text: string): RequestPayload | null {
  const payload = parseJson(text);
  if (!isObject(payload) || !onlyKeys(payload, ['clear', 'sealed'])) return null;
  const { clear, sealed } = payload;
  if (!isObject(clear) || !onlyKeys(clear, ['params', 'query', 'body']) || (sealed !== null && typeof sealed !== 'string')) return null;
  const { params = {}, query = {}, body } = clear;
  if (!isObject(params) || !isObject(query) || (body !== undefined && !isObject(body))) return null;
  return { clear: { params, query, ...(body !== undefined ? { body } : {}) }, sealed };
}

export function parseReplyWire(value: unknown): { body: string; sealed: string } | null {
  if (!isObject(value) || !onlyKeys(value, ['body', 'sealed'])) return null;
  const { body, sealed } = value;
  return typeof body === 'string' && body.length <= 1024 && typeof sealed === 'string' ? { body, sealed } : null;
}

export function parseReplyBody(text: string): { machine: string; sid: string; ctr: number } | null {
  const body = parseJson(text);
  if (!isObject(body) || !onlyKeys(body, ['v', 'machine', 'sid', 'ctr']) || body.v !== 1) return null;
  const { machine, sid, ctr } = body;
  return typeof machine === 'string' && typeof sid === 'string' && typeof ctr === 'number' ? { machine, sid, ctr } : null;
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
