/**
 * The fleet's subject layout and the names of its JetStream assets, spelled once. Everything a
 * bridge may publish or subscribe to sits under its own machine id, so a server's permissions
 * can pin each bridge to its subtree (see docs/fleet.md).
 */

/** The services-framework name every bridge registers under (`$SRV.PING.osloop-bridge`). */
export const FLEET_SERVICE_NAME = 'osloop-bridge';
/** Version of the fleet protocol (endpoints, envelopes); part of every subject. */
export const FLEET_PROTOCOL = 'v1';
/** The services-framework version string of the endpoint set. */
export const FLEET_SERVICE_VERSION = '1.0.0';

/** The KV bucket of presence heartbeats, one key per machine id. */
export const PRESENCE_BUCKET = 'osloop-fleet-presence';
/** The JetStream stream that keeps every fleet job event. */
export const JOB_EVENTS_STREAM = 'OSLOOP_FLEET_JOBS';

const ROOT = `osloop.fleet.${FLEET_PROTOCOL}`;

/** Subjects of one machine: its endpoints and its job events. */
export function fleetSubjectsFor(machineId: string) {
  return {
    /** The group every endpoint of this machine lives in: `osloop.fleet.v1.<machine>`. */
    endpoints: `${ROOT}.${machineId}`,
    endpoint: (operation: string) => `${ROOT}.${machineId}.${operation}`,
    /** One job's events: `osloop.fleet.v1.events.<machine>.<runId>`. */
    jobEvent: (runId: string) => `${ROOT}.events.${machineId}.${runId}`,
    allJobEvents: `${ROOT}.events.${machineId}.>`,
  } as const;
}

/** Every machine's job events: the subjects of the JetStream stream. */
export const ALL_JOB_EVENTS = `${ROOT}.events.>`;

/** Machine and run ids from a job-event subject, or null for any other subject. */
export function parseJobEventSubject(subject: string): { machineId: string; runId: string } | null {
  const prefix = `${ROOT}.events.`;
  if (!subject.startsWith(prefix)) return null;
  const rest = subject.slice(prefix.length).split('.');
  if (rest.length !== 2 || !rest[0] || !rest[1]) return null;
  return { machineId: rest[0], runId: rest[1] };
}
