import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { BridgeError } from '../contract/errors.js';
import { buildOpenApiDocument } from '../contract/openapi.js';
import { recordReply, recordUnparsable, registerConnectionRecorder } from './connection-recorder.js';
import { zodCompilersFactory } from './compilers-factory.js';
import { answerClientError, registerErrorHandling, sendError, toBridgeError } from './errors.js';
import type { HttpDeps } from './http-deps.js';
import { registerJsonBody } from './json-body.js';
import { contractRoutes } from './routes/contract-routes.js';
import { securityGuard } from './security/guard.js';
import { registerHttpUpgrades } from './ws/http-upgrades.js';
import { socketRoutes } from './ws/socket-routes.js';
import { serializerCompiler, validatorCompiler } from './zod-compilers.js';

/**
 * The HTTP/WS face of the bridge, not yet listening: the runtime's bridge actor binds it. It
 * validates, dispatches on the bus and replies; it owns no state.
 */
export async function buildHttpApp(deps: HttpDeps): Promise<FastifyInstance> {
  const httpLogger = deps.logger.child({ component: 'http' }) as FastifyBaseLogger;
  const app: FastifyInstance = Fastify({
    // No `loggerInstance`: with one, fastify sets up response listeners (a closure, two listeners
    // added and removed, two clock reads) on every request (docs/performance.md). Its own lines
    // still reach the log: `request.log` and `reply.log` come from the factory below, and
    // `app.log` is set right after.
    // The default request log would print query strings, where WebSocket tokens travel.
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger per request: with request logging off, its only binding (a request id no
    // other line refers to) cost a pino child and a redaction pass on every request.
    childLoggerFactory: () => httpLogger,
    bodyLimit: deps.policy().bodyLimitBytes,
    // Duplicate or empty Host lines are judged by the guard, not silently accepted.
    requestIdHeader: false,
    forceCloseConnections: true,
    // Node would answer a Host-less request itself with an empty 400; the guard answers it instead.
    http: { requireHostHeader: false },
    // What is refused before routing (unparsable HTTP, bad URL encoding) gets the structured body too.
    clientErrorHandler: (error, socket) => answerClientError(error, socket, (requestLine) => recordUnparsable(deps, requestLine, 'invalid_request')),
    // No hook runs for these (a path fastify cannot decode): recorded here.
    frameworkErrors: (error, request, reply) => {
      sendError(reply, toBridgeError(error));
      recordReply(deps, request, reply.statusCode);
    },
    // Ids may be 128 characters (percent-encoded, more): their schema judges them, not the router.
    routerOptions: { maxParamLength: 1024 },
    // Else fastify loads its Ajv and fast-json-stringify compilers, which the bridge never uses.
    schemaController: { compilersFactory: zodCompilersFactory },
  });
  // Plugins' instances inherit it (fastify's own lines: listen, hook errors, the socket plugin's warnings).
  app.log = httpLogger;
  destroySocketsOnClose(app);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerJsonBody(app);
  registerErrorHandling(app);

  // Before any route: its onRoute hook must see them all. It also closes the socket of every
  // upgrade answered over HTTP (refused by the guard or not a socket route).
  registerHttpUpgrades(app);
  await app.register(securityGuard, deps);
  registerConnectionRecorder(app, deps);
  await app.register(fastifyRateLimit, {
    global: false,
    max: () => deps.policy().handshakeRateLimit.max,
    timeWindow: deps.policy().handshakeRateLimit.windowMs,
    keyGenerator: (request) => request.checkedOrigin ?? request.ip,
    errorResponseBuilder: (_request, context) => {
      const error = new BridgeError('rate_limited', 'Too many handshakes; slow down.', { details: { retryAfterMs: context.ttl } });
      return Object.assign(error, { statusCode: 429 });
    },
  });

  app.options('*', { config: {} }, async (_request, reply) => reply.code(204).send());
  // Built on first request, not at every start: few starts are ever asked for it.
  let openApi: ReturnType<typeof buildOpenApiDocument> | undefined;
  app.get('/api/v1/openapi.json', async () => (openApi ??= buildOpenApiDocument()));
  await app.register(contractRoutes, deps);
  await app.register(socketRoutes, deps);
  if (deps.uiRoot) {
    await app.register(fastifyStatic, { root: deps.uiRoot, prefix: '/ui/', index: ['index.html'] });
    app.get('/', async (_request, reply) => reply.redirect('/ui/'));
  }
  return app;
}

/**
 * `forceCloseConnections` closes the connections Node's HTTP server still tracks, but a socket
 * whose client went away while its request was in flight (an aborted held execute or long-poll,
 * answered later) is no longer among them and would keep `close()` waiting for seconds. Every
 * HTTP socket is remembered from its connection, and those still open are destroyed on close.
 */
function destroySocketsOnClose(app: FastifyInstance): void {
  const sockets = new Set<import('node:net').Socket>();
  app.server.on('connection', (socket: import('node:net').Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // Upgraded sockets belong to the WebSocket server, which closes them with 1001 itself.
  app.server.on('upgrade', (_request: unknown, socket: import('node:net').Socket) => sockets.delete(socket));
  app.addHook('preClose', (done) => {
    for (const socket of sockets) if (!socket.destroyed) socket.destroy();
    done();
  });
}
