import { ConfigStore } from '../config/config-store.js';
import { resolvePaths } from '../config/paths.js';
import { BridgeError } from '../contract/errors.js';
import { loadOrCreateIdentity } from '../fleet/identity.js';
import { pairOrchestrator, unpairOrchestrator } from '../fleet/pairing.js';

/**
 * `osloop-bridge fleet pair|unpair <key>` and `fleet id`: the user decides which orchestrators
 * may send this machine requests (each still prompts here). A running bridge reads pairings from
 * its config on every request once restarted; the Settings page applies them at once.
 */
export async function runFleet(action: string, key: string | undefined, options: { label?: string }): Promise<number> {
  const paths = resolvePaths();
  const config = await ConfigStore.open(paths.configFile);
  try {
    switch (action) {
      case 'pair': {
        if (!key) return usage();
        const paired = await pairOrchestrator(config, key, options.label ?? null);
        process.stdout.write(`Paired with ${key}. ${paired.length} orchestrator(s) paired; every job they send still asks you first, unless you make a rule for that orchestrator.\nRestart a running bridge for it to apply.\n`);
        return 0;
      }
      case 'unpair': {
        if (!key) return usage();
        await unpairOrchestrator(config, key);
        process.stdout.write(`Unpaired ${key}.\n`);
        return 0;
      }
      case 'id': {
        const identity = await loadOrCreateIdentity(paths.dataDir);
        process.stdout.write(`${identity.machineId}\n`);
        return 0;
      }
      default:
        return usage();
    }
  } catch (error) {
    if (error instanceof BridgeError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

function usage(): number {
  process.stderr.write('usage: osloop-bridge fleet pair <orchestrator key> [--label <text>] | fleet unpair <key> | fleet id\n');
  return 64;
}
