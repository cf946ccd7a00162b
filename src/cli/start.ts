import { createLogger } from '../logging.js';
import { writeCodeCacheNow } from './code-cache-hook.js';
import { handleProcessExit } from './process-exit.js';
import { startBridgeOrExit } from './start-bridge-or-exit.js';
import { keepTickObjectMapsAlive } from './tick-object-maps.js';
import { optimiseHotPathsSooner } from './v8-tiering.js';

/**
 * `osloop-bridge start`: runs until SIGINT/SIGTERM/SIGHUP; exits 2 when the port cannot be
 * bound, 78 on a corrupt config. The process always ends: a second signal or an overrun stop
 * deadline ends it at once (see process-exit.ts).
 */
export async function runStart(options: { port?: number; nats?: string; dev?: boolean; allowOrigin: string[] }): Promise<number> {
  const logger = createLogger();
  const lifecycle = handleProcessExit({ logger });
  // Before the start's own collections: their first would find tick objects' maps unused.
  await keepTickObjectMapsAlive();

  const bridge = await startBridgeOrExit(
    {
      ...(options.port ? { port: options.port } : {}),
      ...(options.nats ? { natsUrl: options.nats } : {}),
      dev: options.dev ?? false,
      allowOrigins: options.allowOrigin,
      logger,
    },
    lifecycle,
  );
  if (bridge === 78) return 78;
  if (bridge.bindState() === 'bind_failed') {
    const { bindError } = bridge.runtime.root.getSnapshot().context;
    logger.error(`Port ${bridge.port()} is in use or not bindable (${bindError}). The bridge never picks another port: free it, or configure another one.`);
    lifecycle.armDeadline();
    await bridge.stop('bind failed');
    lifecycle.exit(2);
    return 2;
  }
  logger.info(`UI token written to ${bridge.paths.uiTokenFile}`);
  writeCodeCacheNow();
  const tiering = optimiseHotPathsSooner();
  logger.info({ v8: process.versions.v8, flag: tiering ?? null }, tiering ? `V8 optimises hot code sooner (${tiering})` : 'V8 keeps its default tiering');
  const signal = await lifecycle.stopRequested;
  logger.info({ signal }, 'stopping');
  await bridge.stop(`signal ${signal}`);
  lifecycle.exit(0);
  return 0;
}
