import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { createCurve, createUser, fromCurveSeed, fromSeed, type KeyPair } from '@nats-io/nkeys';
import { errors as natsErrors, type NatsConnection } from '@nats-io/transport-node';
import type { ErrorCode } from '../../contract/errors.js';
import type { RouteBody, RouteReply, RouteQuery } from '../../contract/route.js';
import type { ROUTES } from '../../contract/routes/index.js';
import type { FleetRequestInput } from '../fleet-request.js';
import { createSessionRequest, openSessionReply, SESSION_GONE } from '../session-request.js';
import type { FleetOperationName } from '../operations.js';
import { fleetSubjectsFor, PRESENCE_BUCKET } from '../subjects.js';
import { discoverMachines, type FleetMachine } from './discovery.js';
import { followJobEvents, type ReceivedJobEvent } from './job-follower.js';
import { MachineSessions, SessionOpenError } from './machine-sessions.js';
import { isNoResponders } from './no-responders.js';
import { ReplyMux } from './reply-mux.js';
import { watchPresence, type PresenceChange, type PresenceWatch } from './presence-watch.js';

/** A fleet request the bridge refused or failed, with the registry code and, for a refusal at the edge, why. */
export class FleetRequestError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly reason?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'FleetRequestError';
  }
}

/** The orchestrator's keys: a signing key (what bridges are paired with) and a curve key for sealed replies. */
export interface OrchestratorKeys {
  identity: KeyPair;
  curve: KeyPair;
}

/** New orchestrator keys; keep both seeds secret (`identity.getSeed()`, `curve.getSeed()`). */
export function createOrchestratorKeys(): OrchestratorKeys {
  return { identity: createUser(), curve: createCurve() };
}

/** Orchestrator keys from their seeds (`SU…` and `SX…`). */
export function orchestratorKeysFromSeeds(seed: string, curveSeed: string): OrchestratorKeys {
  const encoder = new TextEncoder();
  return { identity: fromSeed(encoder.encode(seed)), curve: fromCurveSeed(encoder.encode(curveSeed)) };
}

type ExecuteBody = RouteBody<typeof ROUTES.systemCommandsExecute>;
type ExecuteReply = RouteReply<typeof ROUTES.systemCommandsExecute>;
type RunDetails = RouteReply<typeof ROUTES.systemCommandsRunsGet>;
type DetailsQuery = RouteQuery<typeof ROUTES.systemCommandsRunsGet>;

/** A job's end as the orchestrator learns it: the bridge's final run details, or `lost` with the machine. */
export type JobOutcome = { state: 'ended'; run: RunDetails } | { state: 'lost'; machineId: string; runId: string };

const FINAL_STATES = new Set(['completed', 'failed', 'terminated', 'timed_out', 'rejected', 'interrupted', 'cancelled', 'lost']);

/**
 * The typed orchestrator client (`osloop-bridge/fleet`): discover bridges, execute on a chosen
 * machine, follow job events, and wait for outcomes. It owns no connection: pass a connected
 * `NatsConnection` (with the orchestrator's own NATS credentials and TLS).
 */
export class FleetClient {
  readonly orchestratorKey: string;
  private readonly machines = new Map<string, FleetMachine>();
  private readonly js: JetStreamClient;
  private presence: PresenceWatch | undefined;
  /** Jobs this client started and has not seen end, by machine. */
  private readonly liveJobs = new Map<string, Set<string>>();
  private readonly lostListeners = new Set<(machineId: string, runIds: string[]) => void>();
  private readonly sessions: MachineSessions;
  private readonly replies: ReplyMux;
  private readonly endpoints = new Map<string, string>();

  constructor(
    readonly nc: NatsConnection,
    private readonly keys: OrchestratorKeys,
  ) {
    this.orchestratorKey = keys.identity.getPublicKey();
    this.js = jetstream(nc);
    this.replies = new ReplyMux(nc);
    this.sessions = new MachineSessions(keys, this.orchestratorKey, async (machineId, op, wire) => new TextDecoder().decode(await this.send(machineId, op, wire, {})));
  }

  /** Finds the bridges answering `$SRV.INFO`; remembers them for later requests. */
  async discover(options: { maxWaitMs?: number } = {}): Promise<FleetMachine[]> {
    const found = await discoverMachines(this.nc, options);
    for (const machine of found) this.machines.set(machine.machineId, machine);
    return found;
  }

  /**
   * Sends one request and returns the opened outcome's value, or throws `FleetRequestError`. The
   * request travels in this client's session with the machine (opened by one signed handshake,
   * then an HMAC per request; see docs/fleet.md); a bridge that no longer knows the session (it
   * restarted, or the session expired) refuses it unread, and it is sent once more in a new one.
   */
  async request<T = unknown>(
    machineId: string,
    op: FleetOperationName,
    input: FleetRequestInput = {},
    options: { timeoutMs?: number; retryUnreceivedMs?: number } = {},
  ): Promise<T> {
    const machine = this.machines.get(machineId) ?? (await this.discover()).find((m) => m.machineId === machineId);
    if (!machine) throw new FleetRequestError('not_found', `No bridge ${machineId} answered discovery.`);
    for (let attempt = 1; ; attempt++) {
      let session = this.sessions.live(machineId);
      try {
        session ??= await this.sessions.get(machine);
      } catch (error) {
        if (error instanceof SessionOpenError) throw new FleetRequestError(error.code as ErrorCode, error.message, error.reason);
        throw error;
      }
      const { wire, counter } = createSessionRequest(session, op, input);
      const raw = await this.send(machineId, op, wire, options);
      const outcome = openSessionReply(raw, { session, counter, signedRefusal: { machineCurveKey: machine.curveKey, curve: this.keys.curve } });
      if (outcome.ok) return outcome.value as T;
      if (attempt === 1 && outcome.error.reason && SESSION_GONE.has(outcome.error.reason)) {
        this.sessions.drop(session);
        continue;
      }
      throw new FleetRequestError(outcome.error.code, outcome.error.message, outcome.error.reason, outcome.error.details);
    }
  }

  /**
   * Publishes one wire request and returns the raw reply. A request nobody received (no
   * responders: the machine is reconnecting, say after a NATS node failed) is sent again for up to
   * `retryUnreceivedMs`; that is always safe, as no bridge saw it. A timeout is not retried: the
   * bridge may have acted on it.
   */
  /** A machine's endpoint subject, built once per machine and operation (each request needs one). */
  private endpointOf(machineId: string, op: string): string {
    const key = `${machineId}\n${op}`;
    let subject = this.endpoints.get(key);
    if (subject === undefined) {
      subject = fleetSubjectsFor(machineId).endpoint(op);
      this.endpoints.set(key, subject);
    }
    return subject;
  }

  private async send(machineId: string, op: string, wire: string | Uint8Array, options: { timeoutMs?: number; retryUnreceivedMs?: number }): Promise<Uint8Array> {
    const retryUntil = Date.now() + (options.retryUnreceivedMs ?? 5_000);
    for (let delayMs = 100; ; delayMs = Math.min(delayMs * 2, 1_000)) {
      try {
        return (await this.replies.request(this.endpointOf(machineId, op), wire, options.timeoutMs ?? 30_000)).data;
      } catch (error) {
        if (error instanceof natsErrors.TimeoutError) throw new FleetRequestError('unavailable', `${machineId} did not answer ${op} in time.`);
        if (!isNoResponders(error)) throw error;
        if (Date.now() + delayMs > retryUntil) throw new FleetRequestError('unavailable', `${machineId} is not serving ${op}.`);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  info(machineId: string) {
    return this.request<RouteReply<typeof ROUTES.bridgeInfo>>(machineId, 'info');
  }

  /** Starts a command on `machineId`; it waits there for the person at that machine unless a rule scoped to this orchestrator allows it. */
  async execute(machineId: string, body: ExecuteBody): Promise<ExecuteReply> {
    const reply = await this.request<ExecuteReply>(machineId, 'execute', { body: body as Record<string, unknown> });
    const runId = (reply as { runId?: unknown }).runId;
    if (typeof runId === 'string') this.trackJob(machineId, runId);
    return reply;
  }

  details(machineId: string, runId: string, query: DetailsQuery = {}, options: { timeoutMs?: number } = {}) {
    return this.request<RunDetails>(machineId, 'details', { params: { runId }, query: query as Record<string, unknown> }, options);
  }

  runs(machineId: string, query: RouteQuery<typeof ROUTES.systemCommandsRunsList> = {}) {
    return this.request<RouteReply<typeof ROUTES.systemCommandsRunsList>>(machineId, 'runs', { query: query as Record<string, unknown> });
  }

  terminate(machineId: string, runId: string) {
    return this.request<RouteReply<typeof ROUTES.systemCommandsRunsTerminate>>(machineId, 'terminate', { params: { runId } });
  }

  mcpServers(machineId: string) {
    return this.request<RouteReply<typeof ROUTES.mcpServersList>>(machineId, 'mcp-servers');
  }

  mcpCall(machineId: string, body: RouteBody<typeof ROUTES.mcpCall>) {
    return this.request<RouteReply<typeof ROUTES.mcpCall>>(machineId, 'mcp-call', { body: body as Record<string, unknown> });
  }

  /** Follows the job stream (this orchestrator's jobs only) from `fromSeq`; see `followJobEvents`. */
  followJobs(options: { fromSeq?: number; durable?: string; setupTimeoutMs?: number; onEvent: (event: ReceivedJobEvent) => void; onForged?: (subject: string) => void }) {
    return followJobEvents(this.js, { ...options, orchestrator: this.orchestratorKey });
  }

  /**
   * Watches presence: `onChange` hears machines seen and lost. A lost machine's live jobs
   * (started by this client) are reported `lost` to `onJobsLost` listeners and to `waitForOutcome`.
   */
  async watchPresence(options: { graceMs: number; onChange?: (change: PresenceChange) => void }): Promise<PresenceWatch> {
    const kv = await new Kvm(this.js).open(PRESENCE_BUCKET);
    this.presence?.stop();
    this.presence = await watchPresence(kv, {
      graceMs: options.graceMs,
      onChange: (change) => {
        if (change.type === 'lost') {
          const runIds = [...(this.liveJobs.get(change.machineId) ?? [])];
          this.liveJobs.delete(change.machineId);
          for (const listener of this.lostListeners) listener(change.machineId, runIds);
        }
        options.onChange?.(change);
      },
    });
    return this.presence;
  }

  /** Called with a machine and its jobs when presence calls it lost. */
  onJobsLost(listener: (machineId: string, runIds: string[]) => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  /**
   * Waits for a job to end: long-polls its details, and gives `lost` as soon as presence (see
   * `watchPresence`) says the machine is gone.
   */
  async waitForOutcome(machineId: string, runId: string, options: { timeoutMs?: number; pollMs?: number } = {}): Promise<JobOutcome> {
    const deadline = Date.now() + (options.timeoutMs ?? 10 * 60_000);
    const pollMs = options.pollMs ?? 5_000;
    let stopLost: () => void = () => {};
    const lost = new Promise<JobOutcome>((resolve) => {
      stopLost = this.onJobsLost((machine) => {
        if (machine === machineId) resolve({ state: 'lost', machineId, runId });
      });
    });
    const poll = async (): Promise<JobOutcome> => {
      while (Date.now() < deadline) {
        try {
          const run = await this.details(machineId, runId, { waitMs: pollMs, stream: 'both', limit: 65_536 } as DetailsQuery, { timeoutMs: pollMs + 10_000 });
          if (FINAL_STATES.has(String((run as { state?: unknown }).state))) {
            this.liveJobs.get(machineId)?.delete(runId);
            return { state: 'ended', run };
          }
        } catch (error) {
          // An unreachable machine is retried until presence calls it lost or the deadline passes.
          if (!(error instanceof FleetRequestError) || error.code !== 'unavailable') throw error;
        }
      }
      throw new FleetRequestError('unavailable', `Job ${runId} on ${machineId} did not end within the wait.`);
    };
    try {
      return await Promise.race([poll(), lost]);
    } finally {
      stopLost();
    }
  }

  private trackJob(machineId: string, runId: string): void {
    const jobs = this.liveJobs.get(machineId) ?? new Set<string>();
    jobs.add(runId);
    this.liveJobs.set(machineId, jobs);
  }

  stop(): void {
    this.presence?.stop();
    this.replies.close();
  }
}
