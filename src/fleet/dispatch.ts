import { z } from 'zod';
import type { Bus } from '../bus/bus.js';
import { BusClosed, BusNoResponders, BusTimeout } from '../bus/errors.js';
import type { Subjects } from '../bus/subjects.js';
import { BridgeError } from '../contract/errors.js';
import type { Principal } from '../contract/principal.js';
import type { RouteDef } from '../contract/route.js';
import { ROUTES } from '../contract/routes/index.js';
import type { FleetOutcome } from './fleet-reply.js';
import type { FleetCall } from './fleet-request.js';
import { FLEET_OPERATIONS, type FleetOperation } from './operations.js';

/** Fleet requests wait this long for the bus unless the route says otherwise (long polls, MCP calls). */
const DEFAULT_REPLY_TIMEOUT_MS = 30_000;

/** Operations on one run: the run must have been started by the orchestrator asking. */
const RUN_SCOPED = new Set(['details', 'terminate']);

type RunOwner = { requestedBy?: Principal };

const ownedBy = (run: RunOwner | undefined, orchestrator: string): boolean =>
  run?.requestedBy?.kind === 'fleet' && run.requestedBy.orchestrator === orchestrator;

/**
 * Runs a verified fleet request the way the HTTP layer runs an HTTP request: validates it with
 * the contract route's own schemas, then asks the route's bus subject, as the fleet principal the
 * edge derived from the signature. An orchestrator only sees and acts on its own runs.
 */
export async function dispatchFleetRequest(bus: Bus, subjects: Subjects, request: FleetCall): Promise<FleetOutcome> {
  const operation: FleetOperation = FLEET_OPERATIONS[request.op];
  const route = operation.route;
  const principal: Principal = { kind: 'fleet', orchestrator: request.orchestrator };
  try {
    const params = parsePart(route.params, request.params, 'params');
    const query = parsePart(route.query, request.query, 'query');
    const body = route.body ? parsePart(bodySchemaOf(route), request.body, 'body') : undefined;
    if (RUN_SCOPED.has(request.op)) {
      const runId = (params as { runId: string }).runId;
      const run = (await ask(bus, subjects, principal, ROUTES.systemCommandsRunsGet, { params: { runId }, query: ROUTES.systemCommandsRunsGet.query?.parse({ waitMs: 0 }) }).catch(() => undefined)) as RunOwner | undefined;
      if (!ownedBy(run, request.orchestrator)) throw new BridgeError('not_found', `No run ${runId}.`);
    }
    let value = await ask(bus, subjects, principal, route, { params, query, body });
    if (request.op === 'runs') value = ownRunsOnly(value, request.orchestrator);
    return { ok: true, value };
  } catch (error) {
    return { ok: false, error: toErrorBody(error) };
  }
}

/** Asks a route's bus subject as the fleet principal, as the HTTP layer would. */
function ask(bus: Bus, subjects: Subjects, principal: Principal, target: RouteDef, parts: { params?: unknown; query?: unknown; body?: unknown }): Promise<unknown> {
  const timeoutMs = target.replyTimeoutMs ? target.replyTimeoutMs({ query: parts.query, body: parts.body }) : DEFAULT_REPLY_TIMEOUT_MS;
  return bus.request(
    subjects.rpc(target.id),
    {
      principal,
      params: parts.params ?? {},
      query: parts.query ?? {},
      body: parts.body,
      // The fleet never holds a request open on a person: the orchestrator follows job events.
      ...(target.preferAsync ? { prefer: { respondAsync: true } } : {}),
    },
    { timeoutMs },
  );
}

/** A route's body schema taking a missing body as none, built once per route rather than per request. */
const bodySchemas = new Map<RouteDef, z.ZodType>();
function bodySchemaOf(route: RouteDef): z.ZodType {
  let schema = bodySchemas.get(route);
  if (!schema) {
    schema = z.preprocess((value) => value ?? undefined, route.body!);
    bodySchemas.set(route, schema);
  }
  return schema;
}

function parsePart(schema: z.ZodType | undefined, value: unknown, part: string): unknown {
  if (!schema) return {};
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new BridgeError('invalid_request', `Invalid ${part}: ${z.prettifyError(parsed.error)}`, { details: { part } });
  return parsed.data;
}

function ownRunsOnly(value: unknown, orchestrator: string): unknown {
  const page = value as { runs?: RunOwner[] };
  if (!Array.isArray(page?.runs)) return value;
  return { ...page, runs: page.runs.filter((run) => ownedBy(run, orchestrator)) };
}

function toErrorBody(error: unknown): Extract<FleetOutcome, { ok: false }>['error'] {
  if (error instanceof BridgeError) return { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) };
  if (error instanceof BusTimeout) return { code: 'unavailable', message: 'The bridge did not answer in time.' };
  if (error instanceof BusNoResponders || error instanceof BusClosed) return { code: 'unavailable', message: 'The bridge is starting or stopping.' };
  return { code: 'internal', message: 'The fleet request failed unexpectedly.' };
}
