import type { Bus } from '../bus/bus.js';
import type { Subjects } from '../bus/subjects.js';
import { ROUTES } from '../contract/routes/index.js';
import type { ConnectionLogEntry } from '../contract/routes/ui.js';
import { serveRoute } from './serve-route.js';
import type { RunningService } from './service-context.js';

export type ConnectionRecord = Omit<ConnectionLogEntry, 'id'>;

/**
 * The bounded ring of recent localhost connections the status window shows. The HTTP layer
 * publishes records; this keeps the newest `capacity` of them.
 */
export function startConnectionLog(options: { bus: Bus; subjects: Subjects; capacity?: number }): RunningService {
  const { bus, subjects } = options;
  const capacity = options.capacity ?? 500;
  // A ring: every authenticated request adds a record, and shifting a full array on each one
  // was a measurable share of a request's CPU (docs/performance.md).
  // Records are kept as published (the HTTP layer builds a fresh one per request and never
  // touches it again); an entry's id is its position, so it is added only when listed.
  const ring: ConnectionRecord[] = [];
  let nextId = 1;

  const record = bus.subscribe(subjects.internal('connections.record'), (message) => {
    ring[(nextId++ - 1) % capacity] = message.data as ConnectionRecord;
  });
  /** The newest `limit` entries, newest first. */
  const newest = (limit: number): ConnectionLogEntry[] => {
    const out: ConnectionLogEntry[] = [];
    for (let id = nextId - 1; id >= 1 && out.length < Math.min(limit, capacity); id--) out.push({ id, ...ring[(id - 1) % capacity]! });
    return out;
  };
  const list = serveRoute(bus, subjects, ROUTES.uiConnectionLog, ({ query }) => ({
    entries: newest(query.limit),
    capacity,
  }));

  return {
    stop() {
      record.unsubscribe();
      list.unsubscribe();
    },
  };
}
