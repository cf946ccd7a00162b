import type { KeyPair } from '@nats-io/nkeys';
import { ForgedReplyError, openFleetReply, type FleetOutcome } from './fleet-reply.js';
import { mergeSealedFields, refuse, type FleetCall, type FleetRefusal } from './fleet-request.js';
import { isFleetOperation, splitBody, type FleetOperationName } from './operations.js';
import { macOfBytes, macOfBytesMatches, openBytesWithCounter, openWithCounter, sealBytesWithCounter, sealWithCounter, type SessionKeys } from './session-crypto.js';
import type { FleetSession, SessionTable } from './session-table.js';
import { MAC_BYTES, parseOutcome, parseSessionFrame, parseSessionRequestBody, SESSION_FRAME_V1, SESSION_ID_BYTES, type SessionRequestBody } from './session-wire.js';

/**
 * A request inside a session, and its reply. Once a signed handshake (`session-open`) gave both
 * ends the session keys, a request costs an HMAC instead of an Ed25519 signature. On the wire
 * (session-wire.ts has the frame layout):
 *
 * - the request is the session id, a JSON body (counter, timestamp, operation, machine, params,
 *   query, the body's clear fields, and the rest sealed with AES-256-GCM under the session's
 *   request key, the counter as nonce) and an HMAC-SHA256 of all that under the request MAC key;
 * - the reply is the outcome sealed under the reply key, the counter as nonce, with the machine,
 *   session and counter as associated data: its tag says who answered which request.
 *
 * A refusal the edge cannot (or will not) answer in the session comes signed, as for signed
 * requests, naming `<session>.<counter>` as the request it answers.
 */
const REQUEST_DOMAIN = 'osloop-fleet/session-request/v2';
const REPLY_DOMAIN = 'osloop-fleet/session-reply/v2';
const SEALED_FIELDS_DOMAIN = 'osloop-fleet/session-fields/v2';

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

const sealedFieldsAad = (machine: string, sessionId: string, counter: number, op: string) => `${SEALED_FIELDS_DOMAIN}\n${machine}\n${sessionId}\n${counter}\n${op}`;
const replyAad = (machine: string, sessionId: string, counter: number) => `${REPLY_DOMAIN}\n${machine}\n${sessionId}\n${counter}`;

/** Builds a request in `session`; takes the session's next counter. */
export function createSessionRequest(session: ClientSession, op: FleetOperationName, input: { params?: Record<string, unknown>; query?: Record<string, unknown>; body?: Record<string, unknown> }, now = Date.now()): { wire: Buffer; counter: number } {
  const counter = ++session.counter;
  const { clear: clearBody, secret } = input.body ? splitBody(op, input.body) : { clear: undefined, secret: {} };
  const sealed = Object.keys(secret).length > 0 ? sealWithCounter(session.keys.requestSeal, counter, sealedFieldsAad(session.machine, session.id, counter, op), JSON.stringify(secret)) : null;
  const body: SessionRequestBody = { ctr: counter, ts: now, op, machine: session.machine, params: input.params ?? {}, query: input.query ?? {}, ...(clearBody ? { body: clearBody } : {}), sealed };
  const text = JSON.stringify(body);
  const bodyAt = 1 + SESSION_ID_BYTES;
  const macAt = bodyAt + Buffer.byteLength(text);
  const frame = Buffer.allocUnsafe(macAt + MAC_BYTES);
  frame[0] = SESSION_FRAME_V1;
  frame.write(session.id, 1, SESSION_ID_BYTES, 'latin1');
  frame.write(text, bodyAt, 'utf8');
  macOfBytes(session.keys.requestMac, REQUEST_DOMAIN, frame.subarray(0, macAt)).copy(frame, macAt);
  return { wire: frame, counter };
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
 * orchestrator unpaired meanwhile loses all its sessions here), clock, counter, operation, then
 * the sealed fields. The shape is checked before the MAC so that a refusal can name the request.
 */
export function verifySessionRequest(data: Uint8Array, verifier: SessionVerifier): VerifiedSessionRequest {
  const frame = parseSessionFrame(data);
  const request = frame && parseSessionRequestBody(frame.body);
  if (!frame || !request) return refuse('invalid_request', 'malformed', 'The request is not a fleet session frame (session id, body, MAC).');
  const { sessionId } = frame;
  const name = sessionRequestName(sessionId, request.ctr);
  if (request.machine !== verifier.machineId) return refuse('forbidden', 'wrong_machine', 'The request is for another machine.', name);
  const found = verifier.sessions.find(sessionId);
  if (!found.ok) return refuse('unauthorized', found.reason, found.reason === 'session_expired' ? 'The session expired; open a new one.' : 'No such session here (the bridge may have restarted); open a new one.', name);
  const { session } = found;
  if (!macOfBytesMatches(session.keys.requestMac, REQUEST_DOMAIN, frame.macked, frame.mac)) return refuse('unauthorized', 'bad_signature', 'The request MAC does not verify under this session.', name);
  if (!verifier.isPaired(session.orchestrator)) {
    verifier.sessions.closeAllOf(session.orchestrator);
    return refuse('forbidden', 'unpaired', 'This machine is no longer paired with that orchestrator.', name);
  }
  const now = (verifier.now ?? Date.now)();
  if (Math.abs(now - request.ts) > verifier.windowMs) return refuse('unauthorized', 'stale', `The request timestamp is more than ${verifier.windowMs} ms from this machine's clock.`, name);
  if (!session.counters.accept(request.ctr)) return refuse('unauthorized', 'replayed', 'This request counter was already used in this session.', name);
  if (!isFleetOperation(request.op)) return refuse('not_found', 'unknown_operation', `No fleet operation ${JSON.stringify(request.op)}.`, name);

  let body = request.body;
  if (request.sealed !== null) {
    const opened = openWithCounter(session.keys.requestSeal, request.ctr, sealedFieldsAad(request.machine, sessionId, request.ctr, request.op), request.sealed);
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
  return { ok: true, call: { op: request.op, orchestrator: session.orchestrator, params: request.params, query: request.query, body }, session, counter: request.ctr };
}

/** The reply to request `counter` of `session`: the outcome sealed under the session's reply key. */
export function createSessionReply(machineId: string, session: FleetSession, counter: number, outcome: FleetOutcome): Buffer {
  const frame = sealBytesWithCounter(session.keys.replySeal, counter, replyAad(machineId, session.id, counter), JSON.stringify(outcome), 1);
  frame[0] = SESSION_FRAME_V1;
  return frame;
}

/** A refusal inside a session means the session is gone: the client opens a new one and sends again. */
export const SESSION_GONE: ReadonlySet<string> = new Set(['session_unknown', 'session_expired']);

const OPEN_BRACE = 0x7b;
const decoder = new TextDecoder();

/**
 * Opens the reply to request `counter` of `session`, sent to `machine` (whose signing key checks
 * a signed refusal). Throws `ForgedReplyError` for a reply not sealed in this session for this
 * request, or not signed by the machine.
 */
export function openSessionReply(raw: Uint8Array, expect: { session: ClientSession; counter: number; signedRefusal: { machineCurveKey: string; curve: KeyPair } }): FleetOutcome {
  const { session, counter } = expect;
  if (raw[0] === OPEN_BRACE) {
    return openFleetReply(decoder.decode(raw), { machine: session.machine, machineCurveKey: expect.signedRefusal.machineCurveKey, nonce: sessionRequestName(session.id, counter), curve: expect.signedRefusal.curve, refusalOnly: true });
  }
  if (raw[0] !== SESSION_FRAME_V1) throw new ForgedReplyError('The reply is not a fleet session reply.');
  // The associated data names this machine, session and counter: a reply sealed for anything else does not open.
  const opened = openBytesWithCounter(session.keys.replySeal, counter, replyAad(session.machine, session.id, counter), raw.subarray(1));
  if (opened === undefined) throw new ForgedReplyError('The reply is not sealed in this session for this request.');
  const outcome = parseOutcome(opened);
  if (!outcome) throw new ForgedReplyError('The sealed outcome is not a fleet outcome.');
  return outcome;
}
