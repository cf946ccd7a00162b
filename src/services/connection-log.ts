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
  const entries: ConnectionLogEntry[] = [];
  let nextId = 1;

  const record = bus.subscribe(subjects.internal('connections.record'), (message) => {
    entries.push({ id: nextId++, ...(message.data as ConnectionRecord) });
    if (entries.length > capacity) entries.splice(0, entries.length - capacity);
  });
  const list = serveRoute(bus, subjects, ROUTES.uiConnectionLog, ({ query }) => ({
    entries: entries.slice(-query.limit).reverse(),
    capacity,
  }));

  return {
    stop() {
      record.unsubscribe();
      list.unsubscribe();
    },
  };
}
