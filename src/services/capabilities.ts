import { CAPABILITIES, type Capability } from '../contract/constants.js';

export interface CapabilityStatus {
  available: boolean;
  reason?: string;
}

/**
 * What each capability can do on this machine right now. A capability is unavailable until the
 * service that implements it says otherwise, so the list never claims more than the bridge does.
 */
export class CapabilityRegistry {
  readonly #status = new Map<Capability, CapabilityStatus>(
    CAPABILITIES.map((id) => [id, { available: false, reason: 'not implemented by this bridge yet' }]),
  );

  set(id: Capability, status: CapabilityStatus): void {
    this.#status.set(id, status);
  }

  list(): Array<{ id: Capability } & CapabilityStatus> {
    return CAPABILITIES.map((id) => ({ id, ...this.#status.get(id)! }));
  }
}
