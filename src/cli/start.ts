import type { Logger } from 'pino';
import { startBridge } from '../bridge.js';
import { CorruptConfigError } from '../config/config-store.js';
import { createLogger } from '../logging.js';

/** How long a stopped bridge may take to let go of the event loop before the CLI exits anyway. */
const EXIT_GRACE_MS = 3_000;

/** `osloop-bridge start`: runs until SIGINT/SIGTERM; exits 2 when the port cannot be bound. */
export async function runStart(options: { port?: number; nats?: string; dev?: boolean; allowOrigin: string[] }): Promise<number> {
  const logger = createLogger();
  // Installed before anything starts, so a signal during start-up still stops cleanly. They stay
  // installed (not `once`): signal-exit, used to clean up probe processes, re-raises a signal
  // when it is the last listener, which would kill the bridge in the middle of its orderly stop.
  let signalled: (signal: string) => void = () => {};
  let received = 0;
  const stopRequested = new Promise<string>((resolve) => (signalled = resolve));
  const onSignal = (signal: NodeJS.Signals) => {
    received++;
    if (received === 1) signalled(signal);
    else process.exit(130); // a second Ctrl-C: the user does not want to wait
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let bridge;
  try {
    bridge = await startBridge({
      ...(options.port ? { port: options.port } : {}),
      ...(options.nats ? { natsUrl: options.nats } : {}),
      dev: options.dev ?? false,
      allowOrigins: options.allowOrigin,
      logger,
    });
  } catch (error) {
    if (error instanceof CorruptConfigError) {
      logger.error(error.message);
      return exitSoon(78, logger);
    }
    throw error;
  }
  if (bridge.bindState() === 'bind_failed') {
    const { bindError } = bridge.runtime.root.getSnapshot().context;
    logger.error(`Port ${bridge.port()} is in use or not bindable (${bindError}). The bridge never picks another port: free it, or configure another one.`);
    await bridge.stop('bind failed');
    return exitSoon(2, logger);
  }
  logger.info(`UI token written to ${bridge.paths.uiTokenFile}`);
  const signal = await stopRequested;
  logger.info({ signal }, 'stopping');
  await bridge.stop(`signal ${signal}`);
  return exitSoon(0, logger);
}

/**
 * A stopped bridge should leave nothing running; if something still holds the event loop, say
 * what (it is a bug) and exit anyway rather than hang the user's terminal.
 */
function exitSoon(code: number, logger: Logger): number {
  setTimeout(() => {
    logger.warn({ resources: process.getActiveResourcesInfo() }, 'still busy after stopping; exiting anyway');
    process.exit(code);
  }, EXIT_GRACE_MS).unref();
  return code;
}
