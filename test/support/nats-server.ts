import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import path from 'node:path';
import { withFreshPorts } from './free-port.js';

/**
 * Starts Debian's real nats-server for tests and benchmarks. No mock: the fleet edge must be
 * proven against the server it will talk to. A 3-node cluster with TLS and JetStream is in
 * nats-cluster.ts.
 */

export interface NatsServerHandle {
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  /** Kills the server and resolves once it has exited. */
  stop(): Promise<void>;
}

// Debian installs it in /usr/sbin; /usr/bin and $PATH cover other layouts. $NATS_SERVER, when
// set, is the only place looked at, so a missing server can also be simulated.
const CANDIDATES = ['/usr/bin/nats-server', '/usr/sbin/nats-server'];
const READY_TIMEOUT_MS = 10_000;

/** Path of an executable nats-server, or undefined when this machine has none. */
export function findNatsServer(): string | undefined {
  const fromPath = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, 'nats-server'));
  const candidates = process.env.NATS_SERVER ? [process.env.NATS_SERVER] : [...CANDIDATES, ...fromPath];
  return candidates.find((candidate) => {
    try {
      accessSync(candidate, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Decides whether a NATS suite runs: `{ skip: true }` (with a printed notice) when nats-server
 * is missing on a developer machine; on CI a missing server throws, failing the test file,
 * because a silently skipped suite there would hide that the fleet edge is untested.
 */
export function requireNatsServer(): { skip: boolean } {
  if (findNatsServer()) return { skip: false };
  const hint = 'nats-server not found (looked in $NATS_SERVER or else /usr/bin, /usr/sbin and $PATH); install it with `apt-get install nats-server`.';
  if (process.env.CI) throw new Error(`${hint} NATS tests are required on CI.`);
  console.warn(`Skipping the NATS bus suite: ${hint}`);
  return { skip: true };
}

/**
 * Spawns nats-server on a free loopback port and resolves once it accepts connections; with
 * `jetstreamDir`, with JetStream storing there.
 */
export async function startNatsServer(options: { jetstreamDir?: string } = {}): Promise<NatsServerHandle> {
  const binary = findNatsServer();
  if (!binary) throw new Error('nats-server not found; see requireNatsServer()');
  return withFreshPorts(1, async ([port]) => launch(binary, port!, options.jetstreamDir ? ['-js', '-sd', options.jetstreamDir] : []));
}

async function launch(binary: string, port: number, extra: string[]): Promise<NatsServerHandle> {
  const child = spawn(binary, ['-a', '127.0.0.1', '-p', String(port), ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await readyLine(child);
    await canConnect(port);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const escalate = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(escalate);
      }
    },
  };
}

/** Waits for the server's "Server is ready" log line; fails with its output if it exits first. */
export function readyLine(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => done(new Error(`nats-server not ready after ${READY_TIMEOUT_MS} ms:\n${output}`)), READY_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('Server is ready')) done();
    };
    const onExit = (code: number | null): void => done(new Error(`nats-server exited (${code}) before ready:\n${output}`));
    const done = (error?: Error): void => {
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      // Keep draining stderr so the server never blocks on a full pipe.
      child.stderr?.resume();
      if (error) reject(error);
      else resolve();
    };
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

function canConnect(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp({ host: '127.0.0.1', port }, () => {
      socket.end();
      resolve();
    });
    socket.once('error', reject);
  });
}
