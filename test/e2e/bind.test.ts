import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port.js';
import { startTestBridge } from '../support/test-bridge.js';

/** Holds a port the way a foreign process would. */
function occupy(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port }, () => resolve(server));
  });
}

describe('binding the one configured port', () => {
  it('ends in bind_failed on a taken port, keeps that port, and binds it on retry once free', async () => {
    const port = await freePort();
    const squatter = await occupy(port);
    const bridge = await startTestBridge({ port });
    try {
      expect(bridge.bindState()).toBe('bind_failed');
      const context = bridge.runtime.root.getSnapshot().context;
      expect(context.configuredPort).toBe(port);
      expect(context.activePort).toBeNull();
      expect(context.bindError).toMatch(/EADDRINUSE/);

      // Still taken: a retry fails again on the same port, never another one.
      expect(await bridge.retryBind()).toBe('bind_failed');
      expect(bridge.runtime.root.getSnapshot().context.configuredPort).toBe(port);

      await new Promise<void>((resolve) => squatter.close(() => resolve()));
      expect(await bridge.retryBind()).toBe('listening');
      const health = (await (await fetch(`http://127.0.0.1:${port}/api/v1/health`)).json()) as { port: number };
      expect(health.port).toBe(port);
    } finally {
      squatter.close();
      await bridge.close();
    }
  });

  it('listens on loopback only', async () => {
    const bridge = await startTestBridge();
    try {
      expect(bridge.bindState()).toBe('listening');
      expect(bridge.listenAddress()).toBe('127.0.0.1');
    } finally {
      await bridge.close();
    }
  });
});
