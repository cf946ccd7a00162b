/** The orchestrator side of the fleet (`osloop-bridge/fleet`). */
export { FleetClient, FleetRequestError, createOrchestratorKeys, orchestratorKeysFromSeeds, type JobOutcome, type OrchestratorKeys } from './fleet-client.js';
export { discoverMachines, curveKeyVouched, type FleetMachine } from './discovery.js';
export { followJobEvents, verifyJobEvent, type ReceivedJobEvent } from './job-follower.js';
export { watchPresence, type PresenceChange, type PresenceWatch } from './presence-watch.js';
export { ensureFleetInfrastructure } from './infrastructure.js';
export { ForgedReplyError } from '../fleet-reply.js';
export { FLEET_OPERATION_NAMES, type FleetOperationName } from '../operations.js';
export { ALL_JOB_EVENTS, JOB_EVENTS_STREAM, PRESENCE_BUCKET, FLEET_SERVICE_NAME, fleetSubjectsFor } from '../subjects.js';
export type { FleetJobEvent } from '../job-events.js';
