import net from 'node:net';

/** A loopback port nothing listens on right now (bound on port 0, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Runs `start` with `count` free loopback ports, again with fresh ones if it fails (three tries):
 * a port found free can be taken before the server binds it, by another test or another process
 * of the machine ("address already in use").
 */
export async function withFreshPorts<T>(count: number, start: (ports: number[]) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) ports.push(await freePort());
    try {
      return await start(ports);
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}
