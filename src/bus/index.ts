import type { Bus } from './bus.js';
import type { ErrorReporter } from './errors.js';
import { createInProcessBus } from './in-process-bus.js';

export type { Bus, BusMessage, MessageHandler, RequestHandler, RequestOptions, SubscribeOptions, Subscription } from './bus.js';
export { DEFAULT_REQUEST_TIMEOUT_MS } from './bus.js';
export { BusClosed, BusError, BusNoResponders, BusTimeout, InvalidSubject, type ErrorReporter } from './errors.js';
export { createInProcessBus, type InProcessBusOptions } from './in-process-bus.js';
export { subjectMatches, validatePublishSubject, validateSubscriptionSubject } from './subject-match.js';
export { isSubjectToken, subjectsFor, type Subjects } from './subjects.js';

export interface CreateBusOptions {
  /** Receives handler errors nobody awaits; default: console.error. */
  onError?: ErrorReporter;
}

/**
 * The actor bus: always in this process. It carries trusted principals between services, so it
 * never crosses a process boundary; NATS is only the fleet edge (src/fleet), in front of it.
 */
export async function createBus(options: CreateBusOptions = {}): Promise<Bus> {
  return createInProcessBus(options.onError ? { onError: options.onError } : {});
}
