import type { AnyActorRef } from 'xstate';
import { z } from 'zod';
import type { McpServerRequestInput } from '../../../machines/mcpServerRequest.machine.js';
import type { Bus } from '../../bus/bus.js';
import type { Subjects } from '../../bus/subjects.js';
import { BridgeError } from '../../contract/errors.js';
import { audienceAllows, serverRequestAudience } from '../../contract/event-audience.js';
import type { Principal } from '../../contract/principal.js';
import type { ServerRequestView } from '../../contract/routes/mcp-protocol.js';
import type { ServerRequest, ServerRequestHandler } from '../../mcp/connector.js';
import type { ActorRuntime } from '../../runtime/actor-runtime.js';
import { isoAt, type Clock } from '../../runtime/clock.js';
import { newId } from '../session/token.js';
import type { ServerRequestAudience } from './callers-in-flight.js';

export interface ServerRequestsDeps {
  bus: Bus;
  subjects: Subjects;
  clock: Clock;
  runtime: ActorRuntime;
  timeoutMs: () => number;
  serverName: (serverId: string) => string;
  /** Who a request the server makes now is for (from whose requests to it are in flight). */
  audienceFor: (serverId: string) => ServerRequestAudience;
  /** Whether `principal` may use the server at all (it is its origin's): no request of another's server is its. */
  mayUseServer: (serverId: string, principal: Principal) => boolean;
}

type Kind = ServerRequestView['kind'];
const KIND_OF: Record<ServerRequest['method'], Kind> = { 'elicitation/create': 'elicitation', 'sampling/createMessage': 'sampling', 'roots/list': 'roots' };
type SdkTypes = typeof import('@modelcontextprotocol/sdk/types.js');
/**
 * The SDK's types module (its errors and the schemas of the answers), loaded with the first server
 * request: a server can only ask once connected, and a start need not evaluate the SDK's hundreds
 * of schemas (issue 15, cold start).
 */
let sdkTypes: Promise<SdkTypes> | undefined;
const loadSdkTypes = () => (sdkTypes ??= import('@modelcontextprotocol/sdk/types.js'));

/** The SDK's schema of each answer: a wrong answer is the answerer's 400, not the server's problem. */
function answerSchema(sdk: SdkTypes, kind: Kind): z.ZodType {
  return { elicitation: sdk.ElicitResultSchema, sampling: sdk.CreateMessageResultSchema, roots: sdk.ListRootsResultSchema }[kind];
}

/** JSON-RPC error a server gets when the user rejects its request (the spec's sampling example). */
const USER_REJECTED = -1;

interface Pending {
  view: ServerRequestView;
  ref: AnyActorRef;
  answerSchema: z.ZodType;
  answer?: Record<string, unknown>;
  rejection?: string;
}

/**
 * A server's requests to the bridge (elicitation, sampling, roots), each a `mcpServerRequest`
 * actor until the web app or the local UI answers, the server withdraws it, its session ends, or
 * it times out. The request's params and its answer stay here, out of the actor.
 *
 * Origins are isolated here too: a sampling request made while one origin's call runs may carry
 * that call's data, and its answer steers that call. So a request is listed to, and answered by,
 * the audience the callers in flight give it (`visibleTo`); to anyone else it does not exist.
 */
export class ServerRequests {
  readonly #pending = new Map<string, Pending>();

  constructor(private readonly deps: ServerRequestsDeps) {}

  /** The handler the connector calls for `serverId`'s requests. */
  handlerFor(serverId: string): ServerRequestHandler {
    return (request, signal) => this.#ask(serverId, request, signal);
  }

  list(principal: Principal): ServerRequestView[] {
    return [...this.#pending.values()].filter((pending) => this.#canSee(principal, pending.view)).map((pending) => pending.view);
  }

  respond(
    requestId: string,
    body: { result: Record<string, unknown> } | { reject: { message: string } },
    principal: Principal,
  ): { requestId: string; state: ServerRequestView['state'] } {
    const pending = this.#pending.get(requestId);
    // Another origin's request is as unknown as a request that never was (a 403 would tell it one exists).
    if (!pending || !this.#canSee(principal, pending.view)) throw new BridgeError('not_found', `No server request ${requestId} is pending.`, { details: { requestId } });
    if ('reject' in body) {
      pending.rejection = body.reject.message;
      pending.ref.send({ type: 'request.reject' });
      return { requestId, state: 'rejected' };
    }
    const parsed = pending.answerSchema.safeParse(body.result);
    if (!parsed.success) {
      throw new BridgeError('invalid_request', `Not a valid answer to a ${pending.view.kind} request: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`, {
        details: { requestId, kind: pending.view.kind },
      });
    }
    pending.answer = body.result;
    pending.ref.send({ type: 'request.answer' });
    return { requestId, state: 'answered' };
  }

  /** The server's session ended: its pending requests can no longer be answered. */
  cancelAll(serverId: string): void {
    for (const pending of this.#pending.values()) if (pending.view.serverId === serverId) pending.ref.send({ type: 'request.cancel' });
  }

  async #ask(serverId: string, request: ServerRequest, signal: AbortSignal): Promise<Record<string, unknown>> {
    const sdk = await loadSdkTypes();
    const requestId = newId('sreq');
    const kind = KIND_OF[request.method];
    // Withdrawn while the SDK's module loaded: its abort listener would never hear of it.
    if (signal.aborted) throw new sdk.McpError(sdk.ErrorCode.ConnectionClosed, `The ${kind} request was withdrawn.`);
    const now = this.deps.clock.now();
    const timeoutMs = this.deps.timeoutMs();
    const audience = this.deps.audienceFor(serverId);
    const input: McpServerRequestInput = { requestId, serverId, kind, timeoutMs, createdAt: isoAt(now), expiresAt: isoAt(now + timeoutMs), ...audience };
    const view: ServerRequestView = {
      requestId,
      serverId,
      serverName: this.deps.serverName(serverId),
      kind,
      // URL mode: the URL is shown for the user to decide; the bridge never opens it.
      mode: kind === 'elicitation' ? (request.params.mode === 'url' ? 'url' : 'form') : null,
      params: request.params,
      state: 'pending',
      createdAt: input.createdAt,
      expiresAt: input.expiresAt,
      ...audience,
    };
    const ref = this.deps.runtime.spawn('mcpServerRequest', requestId, input);
    const pending: Pending = { view, ref, answerSchema: answerSchema(sdk, kind) };
    this.#pending.set(requestId, pending);
    // The server may withdraw a request that has just been answered: only a live one is cancelled.
    const onAbort = () => {
      if (ref.getSnapshot().status === 'active') ref.send({ type: 'request.cancel' });
    };
    signal.addEventListener('abort', onAbort, { once: true });
    this.deps.bus.publish(this.deps.subjects.event('mcp.server_request.created'), view);
    try {
      const state = await finalState(ref);
      if (state === 'answered' && pending.answer) return pending.answer;
      if (state === 'rejected') throw new sdk.McpError(USER_REJECTED, pending.rejection ?? 'The user rejected the request.');
      if (state === 'timed_out') throw new sdk.McpError(sdk.ErrorCode.RequestTimeout, `Nobody answered the ${kind} request within ${timeoutMs} ms.`, { timeout: timeoutMs });
      throw new sdk.McpError(sdk.ErrorCode.ConnectionClosed, `The ${kind} request was withdrawn.`);
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.#pending.delete(requestId);
      this.deps.runtime.stop('mcpServerRequest', requestId);
    }
  }

  /** Whether `principal` may list and answer the request: whoever its events reach. */
  #canSee(principal: Principal, view: ServerRequestView): boolean {
    return this.deps.mayUseServer(view.serverId, principal) && audienceAllows(serverRequestAudience(view), principal);
  }
}

/** Resolves with the final state the actor reached. */
function finalState(ref: AnyActorRef): Promise<string> {
  return new Promise((resolve) => {
    const check = () => {
      const snapshot = ref.getSnapshot() as { status: string; value: unknown };
      if (snapshot.status === 'active') return false;
      resolve(String(snapshot.value));
      return true;
    };
    if (check()) return;
    const subscription = ref.subscribe({
      next: () => {
        if (check()) subscription.unsubscribe();
      },
      complete: () => {
        check();
        subscription.unsubscribe();
      },
    });
  });
}
