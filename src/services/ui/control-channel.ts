import { timingSafeEqual } from 'node:crypto';
import { chmod, readFile, unlink } from 'node:fs/promises';
import net from 'node:net';
import { waitFor } from 'xstate';
import { runtimeView } from '../../../machines/bridge.machine.js';
import { BusNoResponders } from '../../bus/errors.js';
import type { RunningService, ServiceContext } from '../service-context.js';
import { controlSocketPath } from './control-path.js';
import { MAX_CONTROL_LINE, controlRequestSchema, type ControlReply, type ControlStatus } from './control-protocol.js';

const RETRY_SETTLE_TIMEOUT_MS = 10_000;
const SHOW_TIMEOUT_MS = 2_000;

/**
 * A small local control channel that works whether or not the HTTP listener is bound: a bridge in
 * `bind_failed` can still be asked for its status, to retry the same port, or to show its desktop
 * window (`osloop://ensure-server`, `osloop://focus`). It is a Unix socket (named pipe on Windows)
 * in the data directory, so only this OS user reaches it, and each request also carries the UI token.
 */
export async function startControlChannel(ctx: ServiceContext): Promise<RunningService> {
  const { runtime, logger, bus, subjects } = ctx;
  const socketPath = controlSocketPath(ctx.paths);
  const expected = Buffer.from((await readFile(ctx.paths.uiTokenFile, 'utf8')).trim());

  const status = (): ControlStatus => {
    const snapshot = runtime.root.getSnapshot();
    const view = runtimeView(snapshot.context, snapshot.value);
    return {
      pid: process.pid,
      version: ctx.version,
      bridgeId: ctx.bridgeId,
      configuredPort: view.configuredPort,
      activePort: view.activePort,
      bindState: view.bindState,
      bindError: view.bindError,
    };
  };

  const handle = async (line: string): Promise<ControlReply> => {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      return { ok: false, error: { code: 'invalid_request', message: 'Not a JSON line.' } };
    }
    const parsed = controlRequestSchema.safeParse(raw);
    if (!parsed.success) return { ok: false, error: { code: 'invalid_request', message: 'Unknown control request.' } };
    const given = Buffer.from(parsed.data.token);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return { ok: false, error: { code: 'unauthorized', message: 'Wrong UI token.' } };
    }
    switch (parsed.data.command) {
      case 'status':
        return { ok: true, status: status() };
      case 'retry': {
        if (runtime.root.getSnapshot().matches('bind_failed')) {
          runtime.root.send({ type: 'listener.retry' });
          await waitFor(runtime.root, (s) => s.matches('listening') || s.matches('bind_failed') || s.status === 'done', {
            timeout: RETRY_SETTLE_TIMEOUT_MS,
          }).catch(() => undefined);
        }
        return { ok: true, status: status() };
      }
      case 'show': {
        try {
          await bus.request(subjects.internal('ui.desktop.show'), { page: parsed.data.page }, { timeoutMs: SHOW_TIMEOUT_MS });
          return { ok: true, status: status(), shown: true };
        } catch (error) {
          if (error instanceof BusNoResponders) return { ok: true, status: status(), shown: false };
          throw error;
        }
      }
    }
  };

  const server = net.createServer((socket) => {
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      if (buffered.length > MAX_CONTROL_LINE) return void socket.destroy();
      const newline = buffered.indexOf('\n');
      if (newline < 0) return;
      const line = buffered.slice(0, newline);
      buffered = '';
      socket.pause();
      handle(line)
        .catch((error: unknown): ControlReply => {
          logger.error({ err: error }, 'control request failed');
          return { ok: false, error: { code: 'internal', message: 'The control request failed.' } };
        })
        .then((reply) => socket.end(`${JSON.stringify(reply)}\n`));
    });
  });

  if (!(await claimSocketPath(socketPath))) {
    logger.warn({ socketPath }, 'another bridge of this data directory answers on its control socket; this one runs without it');
    return { stop() {} };
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  if (process.platform !== 'win32') await chmod(socketPath, 0o600);
  logger.debug({ socketPath }, 'control channel listening');

  return {
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (process.platform !== 'win32') await unlink(socketPath).catch(() => {});
    },
  };
}

/** Removes a stale socket left by a crashed bridge; false when a live bridge still answers on it. */
async function claimSocketPath(socketPath: string): Promise<boolean> {
  if (process.platform === 'win32') return true;
  const alive = await new Promise<boolean>((resolve) => {
    const probe = net.connect(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) return false;
  await unlink(socketPath).catch(() => {});
  return true;
}
