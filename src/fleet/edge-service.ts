import { Svcm, type Service, type ServiceMsg } from '@nats-io/services';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { Bus } from '../bus/bus.js';
import type { Subjects } from '../bus/subjects.js';
import { BRIDGE_VERSION } from '../version.js';
import { dispatchFleetRequest } from './dispatch.js';
import { createRefusalReply, createSealedReply, type FleetOutcome } from './fleet-reply.js';
import { MAX_REQUEST_BYTES, SESSION_OPEN_OPERATION, verifyFleetRequest, type FleetCall, type FleetRefusal, type VerifiedFleetRequest } from './fleet-request.js';
import type { FleetIdentity } from './identity.js';
import { FLEET_OPERATIONS, FLEET_OPERATION_NAMES, type FleetOperation } from './operations.js';
import { ReplayGuard } from './replay-guard.js';
import { createSessionReply, verifySessionRequest } from './session-request.js';
import { isSessionFrame } from './session-wire.js';
import { SessionTable } from './session-table.js';
import { FLEET_PROTOCOL, FLEET_SERVICE_NAME, FLEET_SERVICE_VERSION, fleetSubjectsFor } from './subjects.js';

// @nats-io/services 3.0.0-25 (the newest) pins a pre-release nats-core; the connection it gets is
// the 3.4 one, which it only uses through the public API (checked by the fleet tests).
type ServicesConnection = ConstructorParameters<typeof Svcm>[0];

/** Service metadata every bridge announces: enough for an orchestrator to seal to it safely. */
export interface FleetServiceMetadata {
  machine: string;
  curveKey: string;
  curveKeySig: string;
  bridgeVersion: string;
  protocol: string;
  [key: string]: string;
}

export interface EdgeServiceDeps {
  nc: NatsConnection;
  identity: FleetIdentity;
  bus: Bus;
  subjects: Subjects;
  logger: Logger;
  /** Read on every request, so a pairing made while running applies at once. */
  pairedOrchestrators: () => readonly string[];
  requestWindowMs: number;
  /** How long a session lives from its handshake; read at each handshake. */
  sessionTtlMs: () => number;
  /** Told about every job a verified request started. */
  onJobStarted: (runId: string, orchestrator: string) => void;
}

/**
 * The bridge as a NATS service (`@nats-io/services`): one endpoint per fleet operation under
 * `osloop.fleet.v1.<machine>.`, plus `session-open`, discoverable with `$SRV.PING/INFO`. Every
 * request is verified before anything is dispatched: a signed one (signature, pairing,
 * freshness, nonce) or one in a session the signed handshake opened (MAC, pairing, freshness,
 * counter). Every outcome goes back sealed to the orchestrator: signed, or in its session.
 */
export async function startEdgeService(deps: EdgeServiceDeps): Promise<Service> {
  const { nc, identity, bus, subjects, logger } = deps;
  const replay = new ReplayGuard(deps.requestWindowMs);
  const sessions = new SessionTable(identity.machineId, { ttlMs: deps.sessionTtlMs });
  const isPaired = (key: string) => deps.pairedOrchestrators().includes(key);
  const metadata: FleetServiceMetadata = {
    machine: identity.machineId,
    curveKey: identity.curveKey,
    curveKeySig: identity.curveKeySignature,
    bridgeVersion: BRIDGE_VERSION,
    protocol: FLEET_PROTOCOL,
  };
  const service = await new Svcm(nc as unknown as ServicesConnection).add({
    name: FLEET_SERVICE_NAME,
    version: FLEET_SERVICE_VERSION,
    description: 'osloop-bridge fleet edge: signed, sealed requests from paired orchestrators',
    metadata,
  });
  const group = service.addGroup(fleetSubjectsFor(identity.machineId).endpoints);
  const verifier = {
    machineId: identity.machineId,
    curve: identity.curve,
    isPaired,
    replay,
  };
  const sessionVerifier = { machineId: identity.machineId, sessions, isPaired, windowMs: deps.requestWindowMs };

  const run = async (call: FleetCall): Promise<FleetOutcome> => {
    const outcome = await dispatchFleetRequest(bus, subjects, call);
    const operation: FleetOperation = FLEET_OPERATIONS[call.op];
    if (outcome.ok && operation.startsJob) {
      const runId = (outcome.value as { runId?: unknown; installId?: unknown } | null)?.runId ?? (outcome.value as { installId?: unknown } | null)?.installId;
      if (typeof runId === 'string') deps.onJobStarted(runId, call.orchestrator);
    }
    // Checked first: the log object would be built for every request even at `info`.
    if (logger.isLevelEnabled('debug')) logger.debug({ op: call.op, orchestrator: call.orchestrator, ok: outcome.ok, ...(outcome.ok ? {} : { code: outcome.error.code }) }, 'fleet request');
    return outcome;
  };

  const refused = (msg: ServiceMsg, refusal: FleetRefusal): void => {
    // No request data in the log: it may be an attacker's, and the payload may hold secrets.
    logger.warn({ subject: msg.subject, code: refusal.code, reason: refusal.reason }, `fleet request refused: ${refusal.message}`);
    msg.respond(createRefusalReply(identity, refusal));
  };

  /** The handshake: a signed request carrying the orchestrator's ephemeral key; the answer, signed and sealed, carries the bridge's. */
  const openSession = (request: VerifiedFleetRequest): FleetOutcome => {
    sessions.closeUnpaired(isPaired);
    const opened = sessions.open(request.orchestrator, request.body?.key);
    if (!opened) return { ok: false, error: { code: 'invalid_request', message: 'body.key is not an X25519 public key (base64url, 32 bytes).', reason: 'session_refused' } };
    logger.debug({ orchestrator: request.orchestrator, sessions: sessions.size }, 'fleet session opened');
    return { ok: true, value: opened };
  };

  const handle = async (msg: ServiceMsg): Promise<void> => {
    if (msg.data.length > MAX_REQUEST_BYTES) {
      msg.respond(createRefusalReply(identity, { code: 'payload_too_large', reason: 'malformed', message: `Fleet requests are at most ${MAX_REQUEST_BYTES} bytes.` }));
      return;
    }
    if (isSessionFrame(msg.data)) {
      const verified = verifySessionRequest(msg.data, sessionVerifier);
      if (!verified.ok) return refused(msg, verified.refusal);
      const outcome = await run(verified.call);
      msg.respond(createSessionReply(identity.machineId, verified.session, verified.counter, outcome));
      return;
    }
    const verified = verifyFleetRequest(msg.string(), verifier);
    if (!verified.ok) return refused(msg, verified.refusal);
    const request: VerifiedFleetRequest = verified.request;
    const outcome = request.op === SESSION_OPEN_OPERATION ? openSession(request) : await run({ ...request, op: request.op });
    msg.respond(createSealedReply(identity, { nonce: request.nonce, replyKey: request.replyKey }, outcome));
  };

  for (const name of [...FLEET_OPERATION_NAMES, SESSION_OPEN_OPERATION] as const) {
    group.addEndpoint(name, {
      metadata: { route: name === SESSION_OPEN_OPERATION ? 'fleet.session.open' : FLEET_OPERATIONS[name].route.id },
      handler: (error, msg) => {
        if (error) {
          logger.error({ err: error, op: name }, 'fleet endpoint failed');
          return;
        }
        handle(msg).catch((failure: unknown) => {
          logger.error({ err: failure, op: name }, 'fleet request handler failed');
          msg.respond(createRefusalReply(identity, { code: 'internal', reason: 'malformed', message: 'The fleet request failed unexpectedly.' }));
        });
      },
    });
  }
  return service;
}
