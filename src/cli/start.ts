import { startBridge } from '../bridge.js';
import { CorruptConfigError } from '../config/config-store.js';
import { createLogger } from '../logging.js';

/** `osloop-bridge start`: runs until SIGINT/SIGTERM; exits 2 when the port cannot be bound. */
export async function runStart(options: { port?: number; nats?: string; dev?: boolean; allowOrigin: string[] }): Promise<number> {
  const logger = createLogger();
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
      return 78; // EX_CONFIG
    }
    throw error;
  }
  if (bridge.bindState() === 'bind_failed') {
    const { bindError } = bridge.runtime.root.getSnapshot().context;
    logger.error(`Port ${bridge.port()} is in use or not bindable (${bindError}). The bridge never picks another port: free it, or configure another one.`);
    await bridge.stop('bind failed');
    return 2;
  }
  logger.info(`UI token written to ${bridge.paths.uiTokenFile}`);
  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      logger.info({ signal }, 'stopping');
      void bridge.stop(`signal ${signal}`).then(resolve);
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  });
  return 0;
}
