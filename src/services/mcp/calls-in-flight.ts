import { BridgeError } from '../../contract/errors.js';
import { sharesScope, type Principal } from '../../contract/principal.js';

/** A call ended because someone cancelled it: `by` says who. */
export class CallCancelledError extends Error {
  override readonly name = 'CallCancelledError';
  constructor(readonly by: 'route' | 'client_gone') {
    super(by === 'route' ? 'The call was cancelled.' : 'The HTTP client of the call went away.');
  }
}

interface InFlight {
  serverId: string;
  /** Who made the call: only its origin (and the local UI) may cancel it. */
  owner: Principal;
  controller: AbortController;
  abortKey: string | undefined;
}

/** Abort keys remembered for calls not begun yet; the oldest are forgotten past this many. */
const EARLY_ABORTS_KEPT = 1_024;

/**
 * Tool calls in flight, by call id, so they can be cancelled: by the cancel route, or when the
 * HTTP layer reports (over the bus, by the request's `abortKey`) that the caller went away.
 * Aborting the SDK request's signal is what sends `notifications/cancelled` to the server.
 */
export class CallsInFlight {
  readonly #calls = new Map<string, InFlight>();
  readonly #byAbortKey = new Map<string, string>();
  /**
   * Callers gone before their call began: a socket's `cancel` frame (or its close) can be read in
   * the same tick as the request, before the bus has handed the request to the call handler.
   * Keys of calls that had already ended land here too and are never claimed: hence the bound.
   */
  readonly #goneEarly = new Set<string>();

  /**
   * Registers a call; 409 when a call with this id is still in flight. The controller is the
   * call's only one: the connection is handed it (and aborts it itself at the hard cap).
   */
  begin(callId: string, serverId: string, abortKey: string | undefined, owner: Principal): AbortController {
    if (this.#calls.has(callId)) {
      throw new BridgeError('conflict', `A call with callId "${callId}" is already in flight.`, { details: { callId, reason: 'duplicate_call_id' } });
    }
    const controller = new AbortController();
    this.#calls.set(callId, { serverId, owner, controller, abortKey });
    if (abortKey) {
      this.#byAbortKey.set(abortKey, callId);
      if (this.#goneEarly.delete(abortKey)) controller.abort(new CallCancelledError('client_gone'));
    }
    return controller;
  }

  end(callId: string): void {
    const call = this.#calls.get(callId);
    if (!call) return;
    this.#calls.delete(callId);
    if (call.abortKey) this.#byAbortKey.delete(call.abortKey);
  }

  /** The cancel route: 404 for a call that is not (or no longer) in flight, or another origin's. */
  cancel(callId: string, by: Principal): { callId: string; cancelled: true } {
    const call = this.#calls.get(callId);
    if (!call || !sharesScope(by, call.owner)) throw new BridgeError('not_found', `No call "${callId}" is in flight.`, { details: { callId } });
    call.controller.abort(new CallCancelledError('route'));
    return { callId, cancelled: true };
  }

  /** The HTTP client of the request with `abortKey` is gone. */
  clientGone(abortKey: string): void {
    const callId = this.#byAbortKey.get(abortKey);
    if (callId) {
      this.#calls.get(callId)?.controller.abort(new CallCancelledError('client_gone'));
      return;
    }
    this.#goneEarly.add(abortKey);
    if (this.#goneEarly.size > EARLY_ABORTS_KEPT) this.#goneEarly.delete(this.#goneEarly.values().next().value!);
  }
}
