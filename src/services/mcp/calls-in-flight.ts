import { BridgeError } from '../../contract/errors.js';
import { principalScope, sharesScope, type Principal } from '../../contract/principal.js';

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
 *
 * A call id is a caller's own name, unique within its origin only: two origins may each have a
 * call `c1` in flight, and neither learns of the other's (a 409 across origins would tell one
 * origin what another is doing). So each id holds at most one call per origin.
 */
export class CallsInFlight {
  readonly #calls = new Map<string, InFlight[]>();
  readonly #byAbortKey = new Map<string, InFlight>();
  /**
   * Callers gone before their call began: a socket's `cancel` frame (or its close) can be read in
   * the same tick as the request, before the bus has handed the request to the call handler.
   * Keys of calls that had already ended land here too and are never claimed: hence the bound.
   */
  readonly #goneEarly = new Set<string>();

  /**
   * Registers a call; 409 when a call with this id from the same origin is still in flight. The
   * controller is the call's only one: the connection is handed it (and aborts it itself at the
   * hard cap).
   */
  begin(callId: string, serverId: string, abortKey: string | undefined, owner: Principal): AbortController {
    const sameId = this.#calls.get(callId);
    if (sameId?.some((call) => principalScope(call.owner) === principalScope(owner))) {
      throw new BridgeError('conflict', `A call with callId "${callId}" is already in flight.`, { details: { callId, reason: 'duplicate_call_id' } });
    }
    const call: InFlight = { serverId, owner, controller: new AbortController(), abortKey };
    if (sameId) sameId.push(call);
    else this.#calls.set(callId, [call]);
    if (abortKey) {
      this.#byAbortKey.set(abortKey, call);
      if (this.#goneEarly.delete(abortKey)) call.controller.abort(new CallCancelledError('client_gone'));
    }
    return call.controller;
  }

  /** The call `begin` returned `controller` for has ended. */
  end(callId: string, controller: AbortController): void {
    const sameId = this.#calls.get(callId);
    const call = sameId?.find((candidate) => candidate.controller === controller);
    if (!sameId || !call) return;
    if (sameId.length === 1) this.#calls.delete(callId);
    else sameId.splice(sameId.indexOf(call), 1);
    if (call.abortKey) this.#byAbortKey.delete(call.abortKey);
  }

  /**
   * The cancel route: cancels the caller's origin's call with this id (the local UI's cancels
   * every origin's); 404 for a call that is not (or no longer) in flight, or another origin's.
   */
  cancel(callId: string, by: Principal): { callId: string; cancelled: true } {
    const visible = this.#calls.get(callId)?.filter((call) => sharesScope(by, call.owner)) ?? [];
    if (visible.length === 0) throw new BridgeError('not_found', `No call "${callId}" is in flight.`, { details: { callId } });
    for (const call of visible) call.controller.abort(new CallCancelledError('route'));
    return { callId, cancelled: true };
  }

  /** The HTTP client of the request with `abortKey` is gone. */
  clientGone(abortKey: string): void {
    const call = this.#byAbortKey.get(abortKey);
    if (call) {
      call.controller.abort(new CallCancelledError('client_gone'));
      return;
    }
    this.#goneEarly.add(abortKey);
    if (this.#goneEarly.size > EARLY_ABORTS_KEPT) this.#goneEarly.delete(this.#goneEarly.values().next().value!);
  }
}
