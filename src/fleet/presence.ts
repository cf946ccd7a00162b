import type { KV } from '@nats-io/kv';
import type { Logger } from 'pino';
import { BRIDGE_VERSION } from '../version.js';
import type { FleetIdentity } from './identity.js';
import { signText } from './signing.js';

/**
 * Liveness in the presence KV bucket: every heartbeat period the bridge puts a signed record
 * under its machine id. The bucket's TTL drops records of machines that stopped; orchestrators
 * watching it call a machine lost once its record is older than their grace period.
 */
export interface PresenceRecord {
  v: 1;
  machine: string;
  curveKey: string;
  curveKeySig: string;
  bridgeVersion: string;
  at: string;
  /** Heartbeat period: how stale a record may get before the machine is overdue. */
  heartbeatMs: number;
}

export function startPresence(deps: { kv: () => Promise<KV>; identity: FleetIdentity; heartbeatMs: number; logger: Logger }): { stop(): Promise<void> } {
  const { kv, identity, heartbeatMs, logger } = deps;
  let failing = false;
  const beat = async (): Promise<void> => {
    const record: PresenceRecord = {
      v: 1,
      machine: identity.machineId,
      curveKey: identity.curveKey,
      curveKeySig: identity.curveKeySignature,
      bridgeVersion: BRIDGE_VERSION,
      at: new Date().toISOString(),
      heartbeatMs,
    };
    const body = JSON.stringify(record);
    try {
      await (await kv()).put(identity.machineId, JSON.stringify({ body, sig: signText(identity.identity, 'presence', body) }));
      if (failing) logger.info('fleet presence heartbeat resumed');
      failing = false;
    } catch (error) {
      if (!failing) logger.warn({ err: error }, 'fleet presence heartbeat failed; retrying every period');
      failing = true;
    }
  };
  void beat();
  const timer = setInterval(() => void beat(), heartbeatMs);
  return {
    async stop() {
      clearInterval(timer);
      // A clean stop says so at once instead of waiting for the grace period.
      await kv()
        .then((bucket) => bucket.delete(identity.machineId))
        .catch(() => {});
    },
  };
}
