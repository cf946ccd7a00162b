import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createUser } from '@nats-io/nkeys';
import { connect, nkeyAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { withFreshPorts } from './free-port.js';
import { findNatsServer, readyLine } from './nats-server.js';
import type { ThrowawayTls } from './throwaway-ca.js';

/**
 * A real nats-server cluster on loopback (Debian's 2.9.10): every node with JetStream, TLS for
 * clients from a throwaway CA, and only the users the test lists (nkey users with subject
 * permissions) plus one system-account user the helper keeps to itself. No anonymous user exists.
 */
export interface ClusterUser {
  nkey: string;
  permissions: {
    publish?: { allow?: string[]; deny?: string[] };
    subscribe?: { allow?: string[]; deny?: string[] };
    allow_responses?: boolean;
  };
}

export interface ClusterNode {
  name: string;
  url: string;
  /** SIGKILL: the node vanishes without telling its peers. Resolves once it exited. */
  kill(): Promise<void>;
  readonly alive: boolean;
}

export interface NatsCluster {
  nodes: ClusterNode[];
  urls: string[];
  /** The server config of node 1, as written (docs/fleet.md shows the same shape). */
  config: unknown;
  /**
   * Runs `work` (creating replicated JetStream assets) until it succeeds or `deadlineMs` passed.
   * A new cluster refuses placement ("no suitable peers") until its meta leader holds every
   * peer's JetStream stats, which servers broadcast on a backing-off timer (250 ms doubling up
   * to 30 s, and a route that connects late clears what the leader had). So after each failure
   * every server is asked to broadcast its stats now, as `$SYS.REQ.SERVER.PING` with no reply does.
   */
  whileJetStreamForms<T>(work: () => Promise<T>, options?: { deadlineMs?: number }): Promise<T>;
  stop(): Promise<void>;
}

const FORMING_DEADLINE_MS = 45_000;
const FORMING_RETRY_MS = 250;

export async function startNatsCluster(options: { dir: string; tls: ThrowawayTls; users: ClusterUser[]; size?: number }): Promise<NatsCluster> {
  const binary = findNatsServer();
  if (!binary) throw new Error('nats-server not found; see requireNatsServer()');
  const size = options.size ?? 3;
  return withFreshPorts(size * 2, (ports) => launchCluster(binary, options, ports.slice(0, size), ports.slice(size)));
}

async function launchCluster(binary: string, options: { dir: string; tls: ThrowawayTls; users: ClusterUser[] }, clientPorts: number[], routePorts: number[]): Promise<NatsCluster> {
  const children: ChildProcess[] = [];
  const exits: Array<Promise<void>> = [];
  const configs: unknown[] = [];
  const systemUser = createUser();
  let system: NatsConnection | undefined;
  try {
    await Promise.all(
      clientPorts.map(async (port, i) => {
        const name = `n${i + 1}`;
        const storeDir = path.join(options.dir, `${name}-js`);
        // A failed attempt's store (another attempt's ports in its metadata) is not reused.
        await rm(storeDir, { recursive: true, force: true });
        await mkdir(storeDir, { recursive: true });
        const config = {
          server_name: name,
          listen: `127.0.0.1:${port}`,
          tls: { cert_file: options.tls.certFile, key_file: options.tls.keyFile, ca_file: options.tls.caFile, timeout: 5 },
          jetstream: { store_dir: storeDir, max_memory_store: 64 * 1024 * 1024, max_file_store: 256 * 1024 * 1024 },
          cluster: {
            name: 'osloop-test',
            listen: `127.0.0.1:${routePorts[i]}`,
            routes: routePorts.filter((_, j) => j !== i).map((p) => `nats-route://127.0.0.1:${p}`),
          },
          authorization: { users: options.users },
          accounts: { $SYS: { users: [{ nkey: systemUser.getPublicKey() }] } },
        };
        configs[i] = config;
        // nats-server reads JSON as its config format.
        const file = path.join(options.dir, `${name}.conf`);
        await writeFile(file, JSON.stringify(config, null, 2));
        const child = spawn(binary, ['-c', file], { stdio: ['ignore', 'ignore', 'pipe'] });
        children[i] = child;
        exits[i] = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        await readyLine(child);
      }),
    );
    system = await connect({
      servers: clientPorts.map((port) => `nats://127.0.0.1:${port}`),
      name: 'cluster-helper',
      authenticator: nkeyAuthenticator(systemUser.getSeed()),
      tls: { caFile: options.tls.caFile },
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    });
  } catch (error) {
    for (const child of children) child?.kill('SIGKILL');
    await Promise.all(exits);
    throw error;
  }
  const systemConnection = system;
  const nodes: ClusterNode[] = clientPorts.map((port, i) => ({
    name: `n${i + 1}`,
    url: `nats://127.0.0.1:${port}`,
    get alive() {
      return children[i]!.exitCode === null && children[i]!.signalCode === null;
    },
    async kill() {
      if (this.alive) children[i]!.kill('SIGKILL');
      await exits[i];
    },
  }));
  return {
    nodes,
    urls: nodes.map((node) => node.url),
    config: configs[0],
    async whileJetStreamForms(work, { deadlineMs = FORMING_DEADLINE_MS } = {}) {
      const deadline = Date.now() + deadlineMs;
      for (;;) {
        try {
          return await work();
        } catch (error) {
          if (Date.now() > deadline) throw error;
          systemConnection.publish('$SYS.REQ.SERVER.PING');
          await new Promise((resolve) => setTimeout(resolve, FORMING_RETRY_MS));
        }
      }
    },
    async stop() {
      await systemConnection.close().catch(() => {});
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const escalate = setTimeout(() => children.forEach((child) => child.kill('SIGKILL')), 5_000);
      await Promise.all(exits);
      clearTimeout(escalate);
    },
  };
}
