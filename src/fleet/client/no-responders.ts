import { errors as natsErrors } from '@nats-io/transport-node';

/**
 * True when NATS said nobody subscribes to the subject. nats.js raises it bare from some calls
 * and as the cause of a `RequestError` from others; both mean the request reached no one.
 */
export function isNoResponders(error: unknown): boolean {
  return error instanceof natsErrors.NoRespondersError || (error instanceof natsErrors.RequestError && error.isNoResponders());
}
