import { ConfigStore } from '../config/config-store.js';
import { resolvePaths, type BridgePaths } from '../config/paths.js';
import { UI_TOKEN_HEADER } from '../contract/constants.js';
import { BridgeError } from '../contract/errors.js';
import type { PairedOrchestrator } from '../fleet/fleet-config.js';
import { loadOrCreateIdentity } from '../fleet/identity.js';
import { pairOrchestrator, unpairOrchestrator } from '../fleet/pairing.js';
import { NoControlChannel, sendControlRequest } from '../services/ui/control-client.js';
import { controlSocketPath } from '../services/ui/control-path.js';
import { readUiToken } from './open.js';

/**
 * `osloop-bridge fleet pair|unpair <key>` and `fleet id`: the user decides which orchestrators
 * may send this machine requests (each still prompts here). When this home's bridge runs, the
 * change goes through it (its local UI route, as the Settings page's does) and applies at once;
 * otherwise the config file is edited for the next start.
 */
export async function runFleet(action: string, key: string | undefined, options: { label?: string }, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const paths = resolvePaths(env);
  try {
    switch (action) {
      case 'pair': {
        if (!key) return usage();
        const change = await changePairing(paths, { kind: 'pair', key, label: options.label });
        process.stdout.write(
          `Paired with ${key}. ${change.orchestrators.length} orchestrator(s) paired; every job they send still asks you first, unless you make a rule for that orchestrator.\n${change.live ? 'The running bridge applies it now.' : 'No bridge is running: it applies at the next start.'}\n`,
        );
        return 0;
      }
      case 'unpair': {
        if (!key) return usage();
        const change = await changePairing(paths, { kind: 'unpair', key });
        process.stdout.write(`Unpaired ${key}.${change.live ? ' The running bridge refuses its requests and sessions from now on.' : ''}\n`);
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

/** A pair without `--label` keeps an already paired key's label. */
type PairingChange = { kind: 'pair'; key: string; label: string | undefined } | { kind: 'unpair'; key: string };

/**
 * Applies the change through the running bridge when there is one: a bridge keeps its config in
 * memory and saves all of it on its next change, so a file edited behind its back would be
 * overwritten, and would not apply before a restart anyway.
 */
async function changePairing(paths: BridgePaths, change: PairingChange): Promise<{ orchestrators: PairedOrchestrator[]; live: boolean }> {
  const token = await readUiToken(paths);
  const running = token ? await runningBridge(paths, token) : null;
  if (running === 'unreachable') {
    throw new BridgeError('unavailable', 'This home\'s bridge is running but not listening on HTTP (its port could not be bound), so the pairing could not reach it. Run `osloop-bridge status`, then try again.');
  }
  if (running) {
    const response = await fetch(
      change.kind === 'pair' ? `${running}/api/v1/ui/fleet/orchestrators` : `${running}/api/v1/ui/fleet/orchestrators/${encodeURIComponent(change.key)}`,
      {
        method: change.kind === 'pair' ? 'POST' : 'DELETE',
        headers: { [UI_TOKEN_HEADER]: token!, ...(change.kind === 'pair' ? { 'content-type': 'application/json' } : {}) },
        ...(change.kind === 'pair' ? { body: JSON.stringify({ key: change.key, label: change.label }) } : {}),
      },
    );
    const body = (await response.json().catch(() => null)) as { orchestrators?: PairedOrchestrator[]; error?: { code: string; message: string } } | null;
    if (!response.ok || !body?.orchestrators) throw new BridgeError('invalid_request', body?.error ? body.error.message : `The running bridge answered ${response.status}.`);
    return { orchestrators: body.orchestrators, live: true };
  }
  const config = await ConfigStore.open(paths.configFile);
  const orchestrators = change.kind === 'pair' ? await pairOrchestrator(config, change.key, change.label) : await unpairOrchestrator(config, change.key);
  return { orchestrators, live: false };
}

/** The base URL of this home's running bridge, `unreachable` when it runs without a listener, null when none runs. */
async function runningBridge(paths: BridgePaths, token: string): Promise<string | 'unreachable' | null> {
  try {
    const reply = await sendControlRequest(controlSocketPath(paths), { token, command: 'status' });
    if (!reply.ok) return null;
    return reply.status.activePort ? `http://127.0.0.1:${reply.status.activePort}` : 'unreachable';
  } catch (error) {
    if (error instanceof NoControlChannel) return null;
    throw error;
  }
}

function usage(): number {
  process.stderr.write('usage: osloop-bridge fleet pair <orchestrator key> [--label <text>] | fleet unpair <key> | fleet id\n');
  return 64;
}
