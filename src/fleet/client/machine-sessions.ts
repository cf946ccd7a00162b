import { openFleetReply } from '../fleet-reply.js';
import { createFleetRequest, SESSION_OPEN_OPERATION } from '../fleet-request.js';
import { deriveSessionKeys, isEphemeralPublicKey, newEphemeralKey } from '../session-crypto.js';
import type { ClientSession } from '../session-request.js';
import type { FleetMachine } from './discovery.js';
import type { OrchestratorKeys } from './fleet-client.js';

/** A session id as the bridge makes them (16 random bytes, base64url): the request frame has room for exactly this. */
const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;

/** How much of a session's life is used before a new one is opened: what is left covers clock skew and requests in flight. */
const RENEW_AT_FRACTION = 0.8;

/** Sends a wire request to a machine's endpoint and returns the raw reply (the client's transport, with its retries). */
export type SendToEndpoint = (machineId: string, op: string, wire: string) => Promise<string>;

/** The handshake was refused or answered with something that is not a session. */
export class SessionOpenError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'SessionOpenError';
  }
}

/**
 * The orchestrator's sessions, one per machine: opened by one signed handshake on first use,
 * renewed before they expire, and dropped when the bridge says it does not know them (it
 * restarted, or the session expired), so the next request opens a new one. Concurrent requests
 * to a machine share one handshake.
 */
export class MachineSessions {
  private readonly sessions = new Map<string, ClientSession>();
  private readonly opening = new Map<string, Promise<ClientSession>>();

  constructor(
    private readonly keys: OrchestratorKeys,
    private readonly orchestratorKey: string,
    private readonly send: SendToEndpoint,
    private readonly now: () => number = Date.now,
  ) {}

  /** The session with `machineId` if one is open and not about to expire: what `get` gives without waiting (a request's common case). */
  live(machineId: string): ClientSession | undefined {
    const current = this.sessions.get(machineId);
    return current && current.renewAt > this.now() ? current : undefined;
  }

  /** The live session with `machine`, opening one if there is none or it is about to expire. */
  async get(machine: FleetMachine): Promise<ClientSession> {
    const current = this.live(machine.machineId);
    if (current) return current;
    let pending = this.opening.get(machine.machineId);
    if (!pending) {
      pending = this.open(machine).finally(() => this.opening.delete(machine.machineId));
      this.opening.set(machine.machineId, pending);
    }
    return pending;
  }

  /** Forgets `session` (the bridge no longer knows it); a newer one opened meanwhile is kept. */
  drop(session: ClientSession): void {
    if (this.sessions.get(session.machine) === session) this.sessions.delete(session.machine);
  }

  private async open(machine: FleetMachine): Promise<ClientSession> {
    const ephemeral = newEphemeralKey();
    const { wire, nonce } = createFleetRequest(this.keys, { machine: machine.machineId, curveKey: machine.curveKey }, SESSION_OPEN_OPERATION, { body: { key: ephemeral.publicKey } }, this.now());
    const startedAt = this.now();
    const raw = await this.send(machine.machineId, SESSION_OPEN_OPERATION, wire);
    const outcome = openFleetReply(raw, { machine: machine.machineId, machineCurveKey: machine.curveKey, nonce, curve: this.keys.curve });
    if (!outcome.ok) throw new SessionOpenError(outcome.error.code, outcome.error.message, outcome.error.reason);
    const value = outcome.value as { sessionId?: unknown; key?: unknown; ttlMs?: unknown };
    const { sessionId, key, ttlMs } = value;
    if (typeof sessionId !== 'string' || !SESSION_ID.test(sessionId) || !isEphemeralPublicKey(key) || typeof ttlMs !== 'number' || !(ttlMs > 0)) {
      throw new SessionOpenError('internal', `${machine.machineId} answered the session handshake without a session.`);
    }
    const keys = deriveSessionKeys(ephemeral.privateKey, key, { sessionId, machine: machine.machineId, orchestrator: this.orchestratorKey, orchestratorKey: ephemeral.publicKey, bridgeKey: key });
    if (!keys) throw new SessionOpenError('internal', `${machine.machineId} answered the session handshake with an unusable key.`);
    const session: ClientSession = { id: sessionId, machine: machine.machineId, keys, counter: 0, renewAt: startedAt + ttlMs * RENEW_AT_FRACTION };
    this.sessions.set(machine.machineId, session);
    return session;
  }
}
