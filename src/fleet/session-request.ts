import type { KeyPair } from '@nats-io/nkeys';
import { ForgedReplyError, openFleetReply, type FleetOutcome } from './fleet-reply.js';
import { mergeSealedFields, refuse, type FleetCall, type FleetRefusal } from './fleet-request.js';
import { isFleetOperation, splitBody, type FleetOperationName } from './operations.js';
import { macMatches, macOf, openWithCounter, sealWithCounter, type SessionKeys } from './session-crypto.js';
import type { FleetSession, SessionTable } from './session-table.js';
import { parseOutcome, parseReplyBody, parseReplyWire, parseRequestPayload, parseSessionHeader, parseSessionWire, type SessionHeader } from './session-wire.js';

/**
 * A request inside a session, and its reply. Once a signed handshake (`session-open`) gave both
 * ends the session keys, a request costs an HMAC instead of an Ed25519 signature:
 *
 * - `session` (JSON text): protocol version, session id, counter, timestamp, operation, machine;
 * - `payload`: as in a signed request (clear fields, and the rest sealed with AES-256-GCM under
 *   the session's request key, the counter as nonce, the header as associated data);
 * - `mac`: HMAC-SHA256 of header and payload under the session's request MAC key.
 *
 * The reply is `{ body, sealed }`: `body` names machine, session and counter, and `sealed` is the
 * outcome under the reply key, with `body` as associated data, so its tag authenticates both.
 * A refusal the edge cannot (or will not) answer in the session comes signed, as for signed
 * requests, naming `<session>.<counter>` as the request it answers.
 */
const REQUEST_DOMAIN = 'osloop-fleet/session-request/v1';
const REPLY_DOMAIN = 'osloop-fleet/session-reply/v1';
const SEALED_FIELDS_DOMAIN = 'osloop-fleet/session-fields/v1';

/** The orchestrator's side of an open session. */
export interface ClientSession {
  id: string;
  machine: string;
  keys: SessionKeys;
  /** The last counter used; each request takes the next. */
  counter: number;
  /** By the orchestrator's clock: open a new session before this. */
  renewAt: number;
}

/** The name a refusal inside a session gives the request it answers. */
export const sessionRequestName = (sessionId: string, counter: number): string => `${sessionId}.${counter}`;

/** True for a wire object in the session format (the edge then verifies it as one). */
export function isSessionWire(wire: unknown): wire is Record<string, unknown> {
  return typeof wire === 'object' && wire !== null && typeof (wire as { session?: unknown }).session === 'string';
}

/** Builds a request in `session`; takes the session's next counter. */
export function createSessionRequest(session: ClientSession, op: FleetOperationName, input: { params?: Record<string, unknown>; query?: Record<string, unknown>; body?: Record<string, unknown> }, now = Date.now()): { wire: string; counter: number } {
  const counter = ++session.counter;
  const header = JSON.stringify({ v: 1, sid: session.id, ctr: counter, ts: now, op, machine: session.machine } satisfies SessionHeader);
  const { clear: clearBody, secret } = input.body ? splitBody(op, input.body) : { clear: undefined, secret: {} };
  const sealed = Object.keys(secret).length > 0 ? sealWithCounter(session.keys.requestSeal, counter, `${SEALED_FIELDS_DOMAIN}\n${header}`, JSON.stringify(secret)) : null;
  const payload = JSON.stringify({ clear: { params: input.params ?? {}, query: input.query ?? {}, ...(clearBody ? { body: clearBody } : {}) }, sealed });
  return { wire: JSON.stringify({ session: header, payload, mac: macOf(session.keys.requestMac, [REQUEST_DOMAIN, header, payload]) }), counter };
}

export interface SessionVerifier {
  machineId: string;
  sessions: SessionTable;
  isPaired(orchestrator: string): boolean;
  /** How far a request's timestamp may be from this machine's clock, either way. */
  windowMs: number;
  now?: () => number;
}

export type VerifiedSessionRequest = { ok: true; call: FleetCall; session: FleetSession; counter: number } | { ok: false; refusal: FleetRefusal };

/**
 * Checks a session request, cheapest refusal first: shape, machine, session, MAC, pairing (an
 * orchestrator unpaired meanwhile loses all its sessions here), clock, counter, then payload.
 */
export function verifySessionRequest(wireValue: Record<string, unknown>, verifier: SessionVerifier): VerifiedSessionRequest {
  const wire = parseSessionWire(wireValue);
  const header = wire && parseSessionHeader(wire.session);
  if (!wire || !header) return refuse('invalid_request', 'malformed', 'The request is not a fleet session envelope (session, payload, mac).');
  const { payload, mac } = wire;
  const name = sessionRequestName(header.sid, header.ctr);
  if (header.machine !== verifier.machineId) return refuse('forbidden', 'wrong_machine', 'The request is for another machine.', name);
  const found = verifier.sessions.find(header.sid);
  if (!found.ok) return refuse('unauthorized', found.reason, found.reason === 'session_expired' ? 'The session expired; open a new one.' : 'No such session here (the bridge may have restarted); open a new one.', name);
  const { session } = found;
  if (!macMatches(session.keys.requestMac, [REQUEST_DOMAIN, wire.session, payload], mac)) return refuse('unauthorized', 'bad_signature', 'The request MAC does not verify under this session.', name);
  if (!verifier.isPaired(session.orchestrator)) {
    verifier.sessions.closeAllOf(session.orchestrator);
    return refuse('forbidden', 'unpaired', 'This machine is no longer paired with that orchestrator.', name);
  }
  const now = (verifier.now ?? Date.now)();
  if (Math.abs(now - header.ts) > verifier.windowMs) return refuse('unauthorized', 'stale', `The request timestamp is more than ${verifier.windowMs} ms from this machine's clock.`, name);
  if (!session.counters.accept(header.ctr)) return refuse('unauthorized', 'replayed', 'This request counter was already used in this session.', name);
  if (!isFleetOperation(header.op)) return refuse('not_found', 'unknown_operation', `No fleet operation ${JSON.stringify(header.op)}.`, name);

  const parsed = parseRequestPayload(payload);
  if (!parsed) return refuse('invalid_request', 'malformed', 'The payload is not { clear: { params, query, body }, sealed }.', name);
  let body = parsed.clear.body;
  if (parsed.sealed !== null) {
    const opened = openWithCounter(session.keys.requestSeal, header.ctr, `${SEALED_FIELDS_DOMAIN}\n${wire.session}`, parsed.sealed);
    let secret: unknown;
    try {
      secret = opened === undefined ? undefined : JSON.parse(opened);
    } catch {
      secret = undefined;
    }
    const merged = mergeSealedFields(body, secret);
    if (!merged.ok) return refuse('invalid_request', merged.reason, merged.message, name);
    body = merged.body;
  }
  return { ok: true, call: { op: header.op, orchestrator: session.orchestrator, params: parsed.clear.params, query: parsed.clear.query, body }, session, counter: header.ctr };
}

/** The reply to request `counter` of `session`: the outcome sealed under the session's reply key. */
export function createSessionReply(machineId: string, session: FleetSession, counter: number, outcome: FleetOutcome): string {
  const body = JSON.stringify({ v: 1, machine: machineId, sid: session.id, ctr: counter });
  return JSON.stringify({ body, sealed: sealWithCounter(session.keys.replySeal, counter, `${REPLY_DOMAIN}\n${body}`, JSON.stringify(outcome)) });
}

/** A refusal inside a session means the session is gone: the client opens a new one and sends again. */
export const SESSION_GONE: ReadonlySet<string> = new Set(['session_unknown', 'session_expired']);

/**
 * Opens the reply to request `counter` of `session`, sent to `machine` (whose signing key checks
 * a signed refusal). Throws `ForgedReplyError` for a reply not sealed in this session for this
 * request, or not signed by the machine.
 */
export function openSessionReply(raw: string, expect: { session: ClientSession; counter: number; signedRefusal: { machineCurveKey: string; curve: KeyPair } }): FleetOutcome {
  let wireValue: unknown;
  try {
    wireValue = JSON.parse(raw);
  } catch {
    throw new ForgedReplyError('The reply is not a fleet reply envelope.');
  }
  const { session, counter } = expect;
  if (typeof wireValue === 'object' && wireValue !== null && 'sig' in wireValue) {
    return openFleetReply(raw, { machine: session.machine, machineCurveKey: expect.signedRefusal.machineCurveKey, nonce: sessionRequestName(session.id, counter), curve: expect.signedRefusal.curve, refusalOnly: true });
  }
  const wire = parseReplyWire(wireValue);
  if (!wire) throw new ForgedReplyError('The reply is not a fleet session reply envelope.');
  const opened = openWithCounter(session.keys.replySeal, counter, `${REPLY_DOMAIN}\n${wire.body}`, wire.sealed);
  if (opened === undefined) throw new ForgedReplyError('The reply is not sealed in this session for this request.');
  const body = parseReplyBody(wire.body);
  const outcome = parseOutcome(opened);
  if (!body || !outcome) throw new ForgedReplyError('The sealed outcome is not a fleet outcome.');
  // The tag already binds the body; these say the bridge meant this request.
  if (body.machine !== session.machine || body.sid !== session.id || body.ctr !== counter) throw new ForgedReplyError('The reply answers another request.');
  return outcome;
}

