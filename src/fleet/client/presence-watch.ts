import type { KV } from '@nats-io/kv';
import { z } from 'zod';
import { verifyText } from '../signing.js';
import { curveKeyVouched } from './discovery.js';

/**
 * Watches the presence bucket and says when a machine is seen, and when it is lost: no
 * heartbeat for longer than `graceMs` (by this side's clock, from the last record's arrival), or
 * its record deleted by a clean stop. Only records signed by the machine they name count.
 */
export type PresenceChange = { type: 'seen'; machineId: string; curveKey: string } | { type: 'lost'; machineId: string; cause: 'silent' | 'stopped' };

const recordSchema = z.object({ machine: z.string(), curveKey: z.string(), curveKeySig: z.string(), at: z.string(), heartbeatMs: z.number() });

export interface PresenceWatch {
  /** Machines currently alive, with the time their last heartbeat arrived. */
  alive(): ReadonlyMap<string, number>;
  stop(): void;
}

export async function watchPresence(kv: KV, options: { graceMs: number; onChange: (change: PresenceChange) => void; now?: () => number }): Promise<PresenceWatch> {
  const now = options.now ?? Date.now;
  const lastSeen = new Map<string, number>();
  const watcher = await kv.watch();
  const lose = (machineId: string, cause: 'silent' | 'stopped') => {
    if (!lastSeen.delete(machineId)) return;
    options.onChange({ type: 'lost', machineId, cause });
  };
  void (async () => {
    for await (const entry of watcher) {
      if (entry.operation !== 'PUT') {
        lose(entry.key, 'stopped');
        continue;
      }
      let record: z.infer<typeof recordSchema>;
      try {
        const wire = z.object({ body: z.string(), sig: z.string() }).parse(entry.json());
        if (!verifyText(entry.key, 'presence', wire.body, wire.sig)) continue;
        record = recordSchema.parse(JSON.parse(wire.body));
      } catch {
        continue;
      }
      if (record.machine !== entry.key || !curveKeyVouched(record.machine, record.curveKey, record.curveKeySig)) continue;
      // The initial values can be old: a record already past the grace period is not a live machine.
      const arrived = entry.isUpdate ? now() : entry.created.getTime();
      if (now() - arrived > options.graceMs) continue;
      const known = lastSeen.has(entry.key);
      lastSeen.set(entry.key, arrived);
      if (!known) options.onChange({ type: 'seen', machineId: entry.key, curveKey: record.curveKey });
    }
  })();
  const timer = setInterval(() => {
    const t = now();
    for (const [machineId, seenAt] of lastSeen) if (t - seenAt > options.graceMs) lose(machineId, 'silent');
  }, Math.max(100, Math.floor(options.graceMs / 4)));
  timer.unref();
  return {
    alive: () => lastSeen,
    stop() {
      clearInterval(timer);
      watcher.stop();
    },
  };
}
