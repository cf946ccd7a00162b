import { randomUUID } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BridgeError } from '../../contract/errors.js';
import { ROUTE_LIST } from '../../contract/routes/index.js';
import type { JobRefused } from '../../contract/routes/jobs.js';
import type { RouteDef } from '../../contract/route.js';
import { toBridgeError } from '../errors.js';
import type { HttpDeps } from '../http-deps.js';
import type { RpcRequest } from '../../services/serve-route.js';

const DEFAULT_REPLY_TIMEOUT_MS = 30_000;

/**
 * Registers every contract route the same way: fastify validates with the route's zod schemas,
 * the handler asks the route's bus subject and replies with what comes back. Routes hold no
 * logic; a route nobody serves yet answers 501 `unsupported`.
 */
export async function contractRoutes(app: FastifyInstance, deps: HttpDeps): Promise<void> {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  for (const route of ROUTE_LIST) registerRoute(typed, deps, route);
}

function registerRoute(app: FastifyInstance, deps: HttpDeps, route: RouteDef): void {
  const status = route.successStatus ?? 200;
  const subject = deps.subjects.rpc(route.id);
  // The bus only reads its options: one object per route, not one per request.
  const fixedOptions = route.replyTimeoutMs ? undefined : { timeoutMs: DEFAULT_REPLY_TIMEOUT_MS };
  app.route({
    method: route.method,
    url: route.path,
    // A small route's own limit, never above the configured one.
    ...(route.bodyLimit !== undefined ? { bodyLimit: Math.min(route.bodyLimit, deps.policy().bodyLimitBytes) } : {}),
    config: {
      ...(route.auth === 'none' ? {} : { auth: route.auth }),
      ...(route.rateLimited ? { rateLimit: {} } : { rateLimit: false }),
    },
    schema: {
      ...(route.params ? { params: route.params } : {}),
      ...(route.query ? { querystring: route.query } : {}),
      // fastify validates an empty body as null; as "no body" it lets the schema's defaults apply.
      ...(route.body ? { body: z.preprocess((value) => value ?? undefined, route.body) } : {}),
      response: { [status]: route.reply },
    },
    ...(route.refusals === 'accepted' ? { errorHandler: sendRefusal } : {}),
    // Not an async function: the bus request's own promise is handed to fastify, which sends
    // what it resolves to (or the error it rejects with), without a second promise per request.
    handler: (request, reply) => {
      const options = fixedOptions ?? { timeoutMs: route.replyTimeoutMs!({ query: request.query, body: request.body }) };
      const respondAsync = route.preferAsync ? prefersRespondAsync(request.headers.prefer) : false;
      const abortKey = route.abortOnClose ? randomUUID() : undefined;
      // A response closed before it finished means the client went away: the work is abandoned.
      if (abortKey) reply.raw.once('close', () => reply.raw.writableFinished || deps.bus.publish(deps.subjects.rpcAbort, { abortKey }));
      const rpc: RpcRequest = {
        principal: request.principal,
        params: request.params ?? {},
        query: request.query ?? {},
        body: request.body,
      };
      if (route.preferAsync) rpc.prefer = { respondAsync };
      if (abortKey) rpc.abortKey = abortKey;
      const replied = deps.bus.request(subject, rpc, options);
      // 200 is already the reply's status, and no header depends on the result: fastify is handed
      // the bus's own promise, without a closure and a second promise per request (issue 15).
      if (status === 200 && !respondAsync) return replied;
      return replied.then((result) => {
        // RFC 7240: say that the preference was applied (the reply did not wait for the decision).
        if (respondAsync && (result as { held?: unknown } | null)?.held === false) reply.header('preference-applied', 'respond-async');
        reply.code(status);
        return result;
      });
    },
  });
}

/**
 * The error reply of a job route: the refusal the web app reads (`accepted`, `reason`) and the
 * usual error body, with the registry's status. Validation failures come here too.
 */
function sendRefusal(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const bridgeError: BridgeError = toBridgeError(error);
  if (bridgeError.code === 'internal') request.log.error({ err: error }, 'request failed');
  request.errorCode = bridgeError.code;
  const { error: body } = bridgeError.toBody();
  const refused: JobRefused = { accepted: false, reason: { code: body.code, message: body.message }, error: body };
  return reply.code(bridgeError.status).type('application/json').send(refused);
}

/** Whether a `Prefer` header (possibly repeated, comma-separated) asks for `respond-async`. */
export function prefersRespondAsync(header: string | string[] | undefined): boolean {
  const values = Array.isArray(header) ? header : header === undefined ? [] : [header];
  return values.some((value) =>
    value.split(',').some((preference) => preference.split(';')[0]!.trim().toLowerCase() === 'respond-async'),
  );
}
