import type { EventData, EventType } from '../src/contract/events.js';

/**
 * Parameters of the `publish` action every machine declares: a contract event to announce.
 * Machines stay pure: the runtime provides the action that puts it on the bus.
 */
export type PublishParams = { [T in EventType]: { type: T; data: EventData<T> } }[EventType];

/** The placeholder every machine registers; the runtime replaces it with `.provide()`. */
export function publishPlaceholder(_: unknown, _params: PublishParams): void {}
