import type { Logger } from 'pino';
import { startBridge, type RunningBridge, type StartBridgeOptions } from '../bridge.js';
import { CorruptConfigError } from '../config/config-store.js';
import type { ProcessExit } from './process-exit.js';

/**
 * Starts the bridge for a CLI command. A corrupt config file is reported and ends the process
 * with 78 (EX_CONFIG): the file is left as it is for the user to look at.
 */
export async function startBridgeOrExit(options: StartBridgeOptions & { logger: Logger }, lifecycle: ProcessExit): Promise<RunningBridge | 78> {
  try {
    return await startBridge(options);
  } catch (error) {
    if (!(error instanceof CorruptConfigError)) throw error;
    options.logger.error(error.message);
    lifecycle.exit(78);
    return 78;
  }
}
