import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROUTE_LIST } from '../../contract/routes/index.js';
import type { RouteDef } from '../../contract/route.js';
import type { HttpDeps } from '../http-deps.js';

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
  app.route({
    method: route.method,
    url: route.path,
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
    handler: async (request, reply) => {
      const timeoutMs = route.replyTimeoutMs
        ? route.replyTimeoutMs({ query: request.query, body: request.body })
        : DEFAULT_REPLY_TIMEOUT_MS;
      const result = await deps.bus.request(
        deps.subjects.rpc(route.id),
        { principal: request.principal, params: request.params ?? {}, query: request.query ?? {}, body: request.body },
        { timeoutMs },
      );
      return reply.code(status).send(result);
    },
  });
}
