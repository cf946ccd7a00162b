import type { Bus } from '../bus/bus.js';
import type { Subjects } from '../bus/subjects.js';
import { ROUTES } from '../contract/routes/index.js';
import type { ConnectionLogEntry } from '../contract/routes/ui.js';
import { serveRoute } from './serve-route.js';
import type { RunningService } from './service-context.js';

export type ConnectionRecord = Omit<ConnectionLogEntry, 'id'>;

const NO_DURATION = -1;

/**
 * The bounded ring of recent localhost connections the status window shows, newest `capacity`
 * kept. Every authenticated request adds one, so a record is a row of preallocated columns
 * (plain fields, no object, no ISO string, no bus message per request: issue 15); the entries
 * are built only when the local UI lists them, which it does a few times a minute at most.
 */
export class ConnectionRing {
  readonly capacity: number;
  #next = 0;
  readonly #atMs: Float64Array;
  readonly #status: Uint16Array;
  readonly #durationMs: Float64Array;
  readonly #kind: Array<ConnectionRecord['kind']>;
  readonly #method: string[];
  readonly #path: string[];
  readonly #origin: Array<string | null>;
  readonly #sessionId: Array<string | null>;
  readonly #errorCode: Array<string | null>;
  readonly #hint: Array<string | null>;

  constructor(capacity = 500) {
    this.capacity = capacity;
    this.#atMs = new Float64Array(capacity);
    this.#status = new Uint16Array(capacity);
    this.#durationMs = new Float64Array(capacity);
    // Filled arrays of one element kind, so V8 keeps them as flat arrays from the start.
    this.#kind = new Array<ConnectionRecord['kind']>(capacity).fill('route');
    this.#method = new Array<string>(capacity).fill('');
    this.#path = new Array<string>(capacity).fill('');
    this.#origin = new Array<string | null>(capacity).fill(null);
    this.#sessionId = new Array<string | null>(capacity).fill(null);
    this.#errorCode = new Array<string | null>(capacity).fill(null);
    this.#hint = new Array<string | null>(capacity).fill(null);
  }

  /** Adds one connection (overwriting the oldest once full); its fields as arguments, so that adding allocates nothing. */
  add(
    atMs: number,
    kind: ConnectionRecord['kind'],
    method: string,
    path: string,
    status: number,
    origin: string | null,
    sessionId: string | null,
    errorCode: string | null,
    hint: string | null,
    durationMs: number | null,
  ): void {
    const slot = this.#next++ % this.capacity;
    this.#atMs[slot] = atMs;
    this.#kind[slot] = kind;
    this.#method[slot] = method;
    this.#path[slot] = path;
    this.#status[slot] = status;
    this.#origin[slot] = origin;
    this.#sessionId[slot] = sessionId;
    this.#errorCode[slot] = errorCode;
    this.#hint[slot] = hint;
    this.#durationMs[slot] = durationMs ?? NO_DURATION;
  }

  /** The newest `limit` entries, newest first; an entry's id is its position since the start. */
  newest(limit: number): ConnectionLogEntry[] {
    const out: ConnectionLogEntry[] = [];
    for (let id = this.#next; id >= 1 && out.length < Math.min(limit, this.capacity); id--) {
      const slot = (id - 1) % this.capacity;
      const durationMs = this.#durationMs[slot]!;
      out.push({
        id,
        at: new Date(this.#atMs[slot]!).toISOString(),
        kind: this.#kind[slot]!,
        method: this.#method[slot]!,
        path: this.#path[slot]!,
        status: this.#status[slot]!,
        origin: this.#origin[slot]!,
        sessionId: this.#sessionId[slot]!,
        errorCode: this.#errorCode[slot]!,
        malformed: this.#hint[slot] !== null,
        hint: this.#hint[slot]!,
        durationMs: durationMs === NO_DURATION ? null : durationMs,
      });
    }
    return out;
  }
}

/**
 * Serves the connection log. The HTTP layer writes its records straight into `ring` (an
 * in-process seam, as the principal verifier is; not a subject, so no message can forge one);
 * records published on `internal.connections.record` (socket upgrades, other publishers) land
 * in the same ring.
 */
export function startConnectionLog(options: { bus: Bus; subjects: Subjects; capacity?: number; ring?: ConnectionRing }): RunningService {
  const { bus, subjects } = options;
  const ring = options.ring ?? new ConnectionRing(options.capacity);

  const record = bus.subscribe(subjects.internal('connections.record'), (message) => {
    const published = message.data as ConnectionRecord;
    const atMs = Date.parse(published.at);
    ring.add(
      Number.isFinite(atMs) ? atMs : Date.now(),
      published.kind,
      published.method,
      published.path,
      published.status,
      published.origin,
      published.sessionId,
      published.errorCode,
      published.hint,
      published.durationMs,
    );
  });
  const list = serveRoute(bus, subjects, ROUTES.uiConnectionLog, ({ query }) => ({
    entries: ring.newest(query.limit),
    capacity: ring.capacity,
  }));

  return {
    stop() {
      record.unsubscribe();
      list.unsubscribe();
    },
  };
}
