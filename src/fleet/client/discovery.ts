import { Svcm, type ServiceInfo } from '@nats-io/services';
import type { NatsConnection } from '@nats-io/transport-node';
import { isCurvePublicKey, isSigningPublicKey, verifyText } from '../signing.js';
import { FLEET_SERVICE_NAME } from '../subjects.js';
import { isNoResponders } from './no-responders.js';

// @nats-io/services 3.0.0-25 (the newest) pins a pre-release nats-core; the connection it gets is
// the 3.4 one, which it only uses through the public API (checked by the fleet tests).
type ServicesConnection = ConstructorParameters<typeof Svcm>[0];

/** A bridge an orchestrator found, its curve key checked against its machine key. */
export interface FleetMachine {
  machineId: string;
  /** Where to seal secrets to: vouched for by the machine key. */
  curveKey: string;
  bridgeVersion: string;
  protocol: string;
  /** The services-framework instance id (changes at every bridge start). */
  serviceId: string;
  endpoints: string[];
}

/** True when `curveKeySig` is `machineId`'s signature of its curve key. */
export function curveKeyVouched(machineId: string, curveKey: string, curveKeySig: string): boolean {
  return isSigningPublicKey(machineId) && isCurvePublicKey(curveKey) && verifyText(machineId, 'curve-key', `${machineId}\n${curveKey}`, curveKeySig);
}

/**
 * Finds the bridges on the fleet through `$SRV.INFO.osloop-bridge`, waiting `maxWaitMs` for
 * answers. An answer whose curve key its machine key did not sign is dropped: sealing to it
 * would hand secrets to whoever answered. No bridge on the fleet at all is an empty list: NATS
 * answers "no responders" at once when nothing subscribes to the subject, which is the normal
 * state of a fleet whose bridges are all stopped or restarting.
 */
export async function discoverMachines(nc: NatsConnection, options: { maxWaitMs?: number } = {}): Promise<FleetMachine[]> {
  const client = new Svcm(nc as unknown as ServicesConnection).client({ strategy: 'timer', maxWait: options.maxWaitMs ?? 1_000 });
  const machines = new Map<string, FleetMachine>();
  try {
    for await (const info of await client.info(FLEET_SERVICE_NAME)) addMachine(machines, info);
  } catch (error) {
    if (!isNoResponders(error)) throw error;
  }
  return [...machines.values()].sort((a, b) => a.machineId.localeCompare(b.machineId));
}

function addMachine(machines: Map<string, FleetMachine>, info: ServiceInfo): void {
  const meta = info.metadata ?? {};
  const { machine, curveKey, curveKeySig } = meta;
  if (!machine || !curveKey || !curveKeySig || !curveKeyVouched(machine, curveKey, curveKeySig)) return;
  machines.set(machine, {
    machineId: machine,
    curveKey,
    bridgeVersion: meta.bridgeVersion ?? '',
    protocol: meta.protocol ?? '',
    serviceId: info.id,
    endpoints: info.endpoints.map((endpoint) => endpoint.subject),
  });
}
