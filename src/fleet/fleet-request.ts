import { randomBytes } from 'node:crypto';
import type { KeyPair } from '@nats-io/nkeys';
import { z } from 'zod';
import type { ErrorCode } from '../contract/errors.js';
import { publicKeyOf } from './nkey-bytes.js';
import { isFleetOperation, splitBody, type FleetOperationName } from './operations.js';
import type { ReplayGuard } from './replay-guard.js';
import { openJson, sealJson } from './sealing.js';
import { isCurvePublicKey, isSigningPublicKey, sha256Hex, signText, verifyText } from './signing.js';

/**
 * A fleet request on the wire: a signed header and the payload it names by hash.
 *
 * - `header` (JSON text): protocol version, operation, target machine, the orchestrator's
 *   signing key, the curve key to seal the reply to, a nonce, a timestamp and the payload hash.
 * - `payload` (JSON text): `clear` (params, query and the body fields that are templates) and
 *   `sealed` (the other body fields, sealed to the machine's curve key from `replyKey`).
 * - `sig`: the orchestrator's Ed25519 signature of the header.
 *
 * The header is checked before the payload is parsed, and the principal the bridge acts for is
 * the header's verified signer, never anything the payload says.
 */
export const MAX_REQUEST_BYTES = 1024 * 1024;

const nonceSchema = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/);

const headerSchema = z.strictObject({
  v: z.literal(1),
  op: z.string().min(1).max(64),
  machine: z.string().min(1).max(64),
  orchestrator: z.string().min(1).max(64),
  replyKey: z.string().min(1).max(64),
  nonce: nonceSchema,
  ts: z.number().int(),
  payloadHash: z.string().regex(/^[0-9a-f]{64}$/),
});
export type FleetRequestHeader = z.infer<typeof headerSchema>;

const wireSchema = z.strictObject({
  header: z.string().max(4096),
  payload: z.string().max(MAX_REQUEST_BYTES),
  sig: z.string().max(256).optional(),
});

/** The payload of a signed request: what travels in clear, and the sealed rest (session-wire.ts checks a session request's the same way). */
const payloadSchema = z.strictObject({
  clear: z.strictObject({
    params: z.record(z.string(), z.unknown()).default({}),
    query: z.record(z.string(), z.unknown()).default({}),
    body: z.record(z.string(), z.unknown()).optional(),
  }),
  sealed: z.string().max(MAX_REQUEST_BYTES).nullable(),
});

/**
 * The signed request that opens a session (see session-request.ts): it carries the
 * orchestrator's ephemeral X25519 key and is checked like any signed request.
 */
export const SESSION_OPEN_OPERATION = 'session-open';
export type SignedOperationName = FleetOperationName | typeof SESSION_OPEN_OPERATION;

export interface FleetRequestInput {
  params?: Record<string, unknown>;
  query?: Record<string, unknown>;
  body?: Record<string, unknown>;
}

/** What the orchestrator side needs to sign and seal a request. */
export interface RequestSigner {
  /** The orchestrator's signing key (the key the bridge was paired with). */
  identity: KeyPair;
  /** The orchestrator's curve key: the bridge seals the reply to it. */
  curve: KeyPair;
}

/** Builds the wire form of a request to `machine`, sealing secret body fields to `machineCurveKey`. */
export function createFleetRequest(
  signer: RequestSigner,
  target: { machine: string; curveKey: string },
  op: SignedOperationName,
  input: FleetRequestInput,
  now = Date.now(),
): { wire: string; nonce: string } {
  const { clear: clearBody, secret } = !input.body ? { clear: undefined, secret: {} } : op === SESSION_OPEN_OPERATION ? { clear: input.body, secret: {} } : splitBody(op, input.body);
  const sealed = Object.keys(secret).length > 0 ? sealJson(signer.curve, target.curveKey, secret) : null;
  const payload = JSON.stringify({
    clear: { params: input.params ?? {}, query: input.query ?? {}, ...(clearBody ? { body: clearBody } : {}) },
    sealed,
  });
  const nonce = randomBytes(18).toString('base64url');
  const header: FleetRequestHeader = {
    v: 1,
    op,
    machine: target.machine,
    orchestrator: publicKeyOf(signer.identity),
    replyKey: publicKeyOf(signer.curve),
    nonce,
    ts: now,
    payloadHash: sha256Hex(payload),
  };
  const headerText = JSON.stringify(header);
  return { wire: JSON.stringify({ header: headerText, payload, sig: signText(signer.identity, 'request', headerText) }), nonce };
}

/** Why a request was refused: a registry code, a machine-readable reason and a sentence. */
export interface FleetRefusal {
  code: ErrorCode;
  reason:
    | 'malformed'
    | 'unsigned'
    | 'bad_signature'
    | 'unpaired'
    | 'wrong_machine'
    | 'stale'
    | 'replayed'
    | 'unknown_operation'
    | 'unsealable'
    | 'session_unknown'
    | 'session_expired'
    | 'session_refused';
  message: string;
  /** Set once the header parsed, so the refusal can name the request it answers. */
  nonce?: string;
}

/** A request the edge verified, signed or in a session: what it asks, and for whom. */
export interface FleetCall {
  op: FleetOperationName;
  orchestrator: string;
  params: Record<string, unknown>;
  query: Record<string, unknown>;
  body: Record<string, unknown> | undefined;
}

export interface VerifiedFleetRequest extends Omit<FleetCall, 'op'> {
  op: SignedOperationName;
  replyKey: string;
  nonce: string;
}

export interface RequestVerifier {
  machineId: string;
  /** This machine's curve key: sealed fields open with it. */
  curve: KeyPair;
  isPaired(orchestrator: string): boolean;
  replay: ReplayGuard;
}

export const refuse = (code: ErrorCode, reason: FleetRefusal['reason'], message: string, nonce?: string): { ok: false; refusal: FleetRefusal } => ({
  ok: false,
  refusal: { code, reason, message, ...(nonce ? { nonce } : {}) },
});

/**
 * Checks a received request in the order that costs an attacker the most: shape, target,
 * signature, pairing, freshness, then the payload. Nothing is opened before the signature holds.
 */
export function verifyFleetRequest(raw: string, verifier: RequestVerifier): { ok: true; request: VerifiedFleetRequest } | { ok: false; refusal: FleetRefusal } {
  let wire: z.infer<typeof wireSchema>;
  let header: FleetRequestHeader;
  try {
    wire = wireSchema.parse(JSON.parse(raw));
    header = headerSchema.parse(JSON.parse(wire.header));
  } catch {
    return refuse('invalid_request', 'malformed', 'The request is not a fleet request envelope (header, payload, sig).');
  }
  const { nonce } = header;
  if (header.machine !== verifier.machineId) return refuse('forbidden', 'wrong_machine', 'The request is signed for another machine.', nonce);
  if (!wire.sig) return refuse('unauthorized', 'unsigned', 'The request is not signed.', nonce);
  if (!isSigningPublicKey(header.orchestrator) || !verifyText(header.orchestrator, 'request', wire.header, wire.sig)) {
    return refuse('unauthorized', 'bad_signature', 'The request signature does not verify.', nonce);
  }
  if (!verifier.isPaired(header.orchestrator)) return refuse('forbidden', 'unpaired', 'This machine is not paired with that orchestrator.', nonce);
  if (sha256Hex(wire.payload) !== header.payloadHash) return refuse('unauthorized', 'bad_signature', 'The payload does not match the signed hash.', nonce);
  const freshness = verifier.replay.check(header.orchestrator, nonce, header.ts);
  if (freshness === 'stale') return refuse('unauthorized', 'stale', `The request timestamp is more than ${verifier.replay.windowMs} ms from this machine's clock.`, nonce);
  if (freshness === 'replayed') return refuse('unauthorized', 'replayed', 'This request was already received.', nonce);
  if (!isFleetOperation(header.op) && header.op !== SESSION_OPEN_OPERATION) return refuse('not_found', 'unknown_operation', `No fleet operation ${JSON.stringify(header.op)}.`, nonce);
  if (!isCurvePublicKey(header.replyKey)) return refuse('invalid_request', 'malformed', 'replyKey is not a curve public key.', nonce);

  let payload: z.infer<typeof payloadSchema>;
  try {
    payload = payloadSchema.parse(JSON.parse(wire.payload));
  } catch {
    return refuse('invalid_request', 'malformed', 'The payload is not { clear: { params, query, body }, sealed }.', nonce);
  }
  let body = payload.clear.body;
  if (payload.sealed !== null) {
    const merged = mergeSealedFields(body, openJson(verifier.curve, header.replyKey, payload.sealed));
    if (!merged.ok) return refuse('invalid_request', merged.reason, merged.message, nonce);
    body = merged.body;
  }
  return {
    ok: true,
    request: { op: header.op as SignedOperationName, orchestrator: header.orchestrator, replyKey: header.replyKey, nonce, params: payload.clear.params, query: payload.clear.query, body },
  };
}

/** The body with the opened sealed fields added; refused when they did not open to an object or repeat a clear field. */
export function mergeSealedFields(
  body: Record<string, unknown> | undefined,
  secret: unknown,
): { ok: true; body: Record<string, unknown> } | { ok: false; reason: 'unsealable' | 'malformed'; message: string } {
  if (typeof secret !== 'object' || secret === null || Array.isArray(secret)) {
    return { ok: false, reason: 'unsealable', message: 'The sealed fields do not open with this machine\'s key.' };
  }
  const overlap = Object.keys(secret).filter((key) => body && Object.hasOwn(body, key));
  if (overlap.length > 0) return { ok: false, reason: 'malformed', message: `Fields sent both sealed and in clear: ${overlap.join(', ')}.` };
  return { ok: true, body: { ...body, ...(secret as Record<string, unknown>) } };
}
