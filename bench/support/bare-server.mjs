// The bare baselines the benches compare the bridge with, each in its own process like the
// bridge: `node bare-server.mjs http <port>` (node:http, the cold-start baseline) or
// `node bare-server.mjs fastify <port> <json>` (a fastify route returning that JSON).
const [kind, port, json = '{"status":"ok"}'] = process.argv.slice(2);
if (kind === 'http') {
  const { createServer } = await import('node:http');
  createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(json);
  }).listen(Number(port), '127.0.0.1');
} else {
  const { default: Fastify } = await import('fastify');
  const body = JSON.parse(json);
  const app = Fastify();
  app.get('/api/v1/health', async () => body);
  app.get('/api/v1/bridge/info', async () => body);
  await app.listen({ host: '127.0.0.1', port: Number(port) });
}
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
