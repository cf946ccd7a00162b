import type { Bus } from './bus.js';
import type { ErrorReporter } from './errors.js';
import { createInProcessBus } from './in-process-bus.js';

export type { Bus, BusMessage, MessageHandler, RequestHandler, RequestOptions, SubscribeOptions, Subscription } from './bus.js';
export { DEFAULT_REQUEST_TIMEOUT_MS } from './bus.js';
export { BusClosed, BusError, BusNoResponders, BusTimeout, InvalidSubject, type ErrorReporter } from './errors.js';
export { createInProcessBus, type InProcessBusOptions } from './in-process-bus.js';
// connectNatsBus is not re-exported: loading the NATS client costs about 55 ms at start-up
// (measured here), so only createBus loads it, and only when a URL is configured.
export type { NatsBusOptions } from './nats-bus.js';
export { subjectMatches, validatePublishSubject, validateSubscriptionSubject } from './subject-match.js';
export { isSubjectToken, subjectsFor, type Subjects } from './subjects.js';

export interface CreateBusOptions {
  /** NATS server URL; without one the bus lives in this process. */
  natsUrl?: string;
  /** Receives handler errors nobody awaits; default: console.error. */
  onError?: ErrorReporter;
}

/** Returns the NATS bus when a URL is given, otherwise the in-process bus. */
export async function createBus(options: CreateBusOptions = {}): Promise<Bus> {
  const { natsUrl, onError } = options;
  const reporter = onError ? { onError } : {};
  if (!natsUrl) return createInProcessBus(reporter);
  const { connectNatsBus } = await import('./nats-bus.js');
  return connectNatsBus(natsUrl, reporter);
}
