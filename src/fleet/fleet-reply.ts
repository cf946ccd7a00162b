import type { KeyPair } from '@nats-io/nkeys';
import { z } from 'zod';
import { errorCodeSchema, type ErrorCode } from '../contract/errors.js';
import type { FleetRefusal } from './fleet-request.js';
import { openJson, sealJson } from './sealing.js';
import { signText, verifyText } from './signing.js';

/**
 * A bridge's answer, signed by its machine key so an orchestrator can tell it from a reply forged
 * by anyone else on the server. `body` (JSON text) says which machine answers which nonce, and
 * holds either the outcome sealed to the request's `replyKey`, or, for a request the edge refused
 * before trusting it, the refusal in clear (it carries no request data).
 */
const replyBodySchema = z.strictObject({
  v: z.literal(1),
  machine: z.string(),
  nonce: z.string().nullable(),
  sealed: z.string().optional(),
  refused: z
    .strictObject({ code: errorCodeSchema, reason: z.string(), message: z.string() })
    .optional(),
});
const wireSchema = z.strictObject({ body: z.string(), sig: z.string() });

/** What the bus answered, as the orchestrator sees it once opened. */
export type FleetOutcome =
  | { ok: true; value: unknown }
  | { ok: false; error: { code: ErrorCode; message: string; details?: Record<string, unknown>; reason?: string } };

/** A fleet outcome as it opens on the orchestrator's side. */
export const FleetOutcomeSchema = z.union([
  z.strictObject({ ok: z.literal(true), value: z.unknown() }),
  z.strictObject({
    ok: z.literal(false),
    error: z.strictObject({ code: errorCodeSchema, message: z.string(), details: z.record(z.string(), z.unknown()).optional(), reason: z.string().optional() }),
  }),
]);

export interface ReplySigner {
  machineId: string;
  identity: KeyPair;
  curve: KeyPair;
}

/** The reply to a verified request: the outcome sealed to the orchestrator, signed by the machine. */
export function createSealedReply(signer: ReplySigner, to: { nonce: string; replyKey: string }, outcome: FleetOutcome): string {
  const body = JSON.stringify({ v: 1, machine: signer.machineId, nonce: to.nonce, sealed: sealJson(signer.curve, to.replyKey, outcome) });
  return JSON.stringify({ body, sig: signText(signer.identity, 'reply', body) });
}

/** The reply to a refused request: why, in clear, signed by the machine. */
export function createRefusalReply(signer: Pick<ReplySigner, 'machineId' | 'identity'>, refusal: FleetRefusal): string {
  const body = JSON.stringify({
    v: 1,
    machine: signer.machineId,
    nonce: refusal.nonce ?? null,
    refused: { code: refusal.code, reason: refusal.reason, message: refusal.message },
  });
  return JSON.stringify({ body, sig: signText(signer.identity, 'reply', body) });
}

/** Raised by the orchestrator side when a reply is not from the machine asked, or not for this request. */
export class ForgedReplyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForgedReplyError';
  }
}

/**
 * Opens a reply to the request `nonce` sent to `machine`: checks the machine's signature, the
 * machine and nonce it names, then unseals the outcome with the orchestrator's curve key from the
 * machine's curve key. Throws `ForgedReplyError` for anything else.
 */
export function openFleetReply(raw: string, expect: { machine: string; machineCurveKey: string; nonce: string; curve: KeyPair; refusalOnly?: boolean }): FleetOutcome {
  let wire: z.infer<typeof wireSchema>;
  let body: z.infer<typeof replyBodySchema>;
  try {
    wire = wireSchema.parse(JSON.parse(raw));
    body = replyBodySchema.parse(JSON.parse(wire.body));
  } catch {
    throw new ForgedReplyError('The reply is not a fleet reply envelope.');
  }
  if (!verifyText(expect.machine, 'reply', wire.body, wire.sig)) throw new ForgedReplyError(`The reply is not signed by ${expect.machine}.`);
  if (body.machine !== expect.machine) throw new ForgedReplyError('The reply names another machine.');
  if (body.refused) {
    // A refusal before the header parsed names no nonce; one after it must name ours.
    if (body.nonce !== null && body.nonce !== expect.nonce) throw new ForgedReplyError('The reply answers another request.');
    return { ok: false, error: { code: body.refused.code, message: body.refused.message, reason: body.refused.reason } };
  }
  if (body.nonce !== expect.nonce) throw new ForgedReplyError('The reply answers another request.');
  // A session request is answered in the session; only its refusals come signed.
  if (expect.refusalOnly) throw new ForgedReplyError('A signed outcome cannot answer a session request.');
  const opened = body.sealed === undefined ? undefined : openJson(expect.curve, expect.machineCurveKey, body.sealed);
  const outcome = FleetOutcomeSchema.safeParse(opened);
  if (!outcome.success) throw new ForgedReplyError('The sealed outcome does not open with this orchestrator\'s key.');
  return outcome.data as FleetOutcome;
}
