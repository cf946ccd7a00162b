import { JOB_EVENTS_STREAM, PRESENCE_BUCKET, fleetSubjectsFor } from './subjects.js';

/**
 * The nats-server permissions each fleet role needs, and nothing more; the tests run the server
 * with exactly these, and docs/fleet.md prints them. A bridge may only serve its own endpoints,
 * publish its own events and presence, and read its own replies; answers to requests go back
 * through `allow_responses`, so it cannot publish into anyone else's inbox.
 */
export interface SubjectPermissions {
  publish: { allow: string[] } | { deny: string[] };
  subscribe: { allow: string[] } | { deny: string[] };
  allow_responses?: boolean;
}

export function bridgePermissions(machineId: string): SubjectPermissions {
  const fleet = fleetSubjectsFor(machineId);
  return {
    publish: {
      allow: [
        fleet.allJobEvents,
        `$KV.${PRESENCE_BUCKET}.${machineId}`,
        `$JS.API.INFO`,
        `$JS.API.STREAM.INFO.KV_${PRESENCE_BUCKET}`,
        `$JS.API.STREAM.INFO.${JOB_EVENTS_STREAM}`,
      ],
    },
    subscribe: { allow: [`${fleet.endpoints}.>`, '$SRV.>', `_INBOX_${machineId}.>`] },
    allow_responses: true,
  };
}

/** An orchestrator: calls any bridge's endpoints, discovers, and reads (and, as admin, sets up) the JetStream assets. */
export function orchestratorPermissions(inboxPrefix: string): SubjectPermissions {
  return {
    publish: { allow: ['osloop.fleet.v1.*.*', '$SRV.>', '$JS.API.>'] },
    subscribe: { allow: [`${inboxPrefix}.>`] },
  };
}
