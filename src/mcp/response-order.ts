import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';

const RESOLVED = Promise.resolve();

/**
 * The SDK (1.32) runs a notification's handler one microtask late but settles a response at
 * once, dropping the call's progress handler. A progress notification read together with its
 * call's response (stdio hands on every complete line of a chunk in one go; a server's last
 * step and its result often share one) then finds no handler and is lost, reported as "unknown
 * token" (modelcontextprotocol/typescript-sdk#2580). Here responses are handed on one microtask
 * later, after the handlers of the notifications that arrived before them (as a promise
 * reaction: `queueMicrotask` wraps each callback in an async resource, and every response
 * passes here).
 */
export function deliverResponsesAfterNotifications(transport: Transport): void {
  const deliver = transport.onmessage;
  if (!deliver) return;
  transport.onmessage = (message, extra) => {
    if ('id' in message && !('method' in message)) void RESOLVED.then(() => deliver(message, extra));
    else deliver(message, extra);
  };
}
