/**
 * Where a run is in its life. A run only moves forward (awaiting_permission → queued → starting →
 * running → one final state), so of two copies of the same run, the one further on is the newer:
 * a details reply answered before an event that arrived while it was on the wire is older than it.
 */
const PROGRESS = { awaiting_permission: 0, queued: 1, starting: 2, running: 3 };
const FINAL = 4;

/** The states in which a run still needs the user's attention or still runs. */
export const LIVE_RUN_STATES = new Set(Object.keys(PROGRESS));

const progress = (run) => PROGRESS[run?.state] ?? (run?.state ? FINAL : -1);

/**
 * The run as best known from `fetched` (a full details reply) and `known` (what events said since):
 * the details, with the event's fields over them when the event is further on.
 */
export function newerRun(known, fetched) {
  if (known && progress(known) > progress(fetched)) return { ...fetched, ...known };
  return fetched;
}
