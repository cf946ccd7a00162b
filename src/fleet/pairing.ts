import type { ConfigStore } from '../config/config-store.js';
import { BridgeError } from '../contract/errors.js';
import type { PairedOrchestrator } from './fleet-config.js';
import { isSigningPublicKey } from './signing.js';

/**
 * Pairing: the user's statement that an orchestrator's signed requests may reach this machine
 * (where they still prompt). Stored in the config's `nats.orchestrators`; used by the CLI
 * (`osloop-bridge fleet pair <key>`) and the Settings page.
 *
 * Pairing a key that is already paired keeps its pairing time: a `label` given (a string, or null)
 * renames it, an empty label clears the name, and a label left out changes nothing, so
 * `fleet pair <key>` run twice is harmless.
 */
export async function pairOrchestrator(config: ConfigStore, key: string, label?: string | null, now = new Date()): Promise<PairedOrchestrator[]> {
  if (!isSigningPublicKey(key)) {
    throw new BridgeError('invalid_request', 'An orchestrator key is an nkey public key: U… or A…, 56 characters, with a valid checksum.', { details: { field: 'key' } });
  }
  const name = label === undefined ? undefined : label?.trim() || null;
  const current = config.current.nats.orchestrators;
  const paired = current.find((o) => o.key === key);
  if (paired && (name === undefined || name === paired.label)) return current;
  const orchestrators = paired
    ? current.map((o) => (o.key === key ? { ...o, label: name ?? null } : o))
    : [...current, { key, label: name ?? null, pairedAt: now.toISOString() }];
  return (await config.update({ nats: { ...config.current.nats, orchestrators } })).nats.orchestrators;
}

export async function unpairOrchestrator(config: ConfigStore, key: string): Promise<PairedOrchestrator[]> {
  const orchestrators = config.current.nats.orchestrators.filter((o) => o.key !== key);
  return (await config.update({ nats: { ...config.current.nats, orchestrators } })).nats.orchestrators;
}
