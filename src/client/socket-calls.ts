import { WS_CLOSE_SESSION_EXPIRED } from '../contract/constants.js';
import type { RouteDef } from '../contract/route.js';
import { MAX_REQUEST_FRAME_BYTES, MAX_SOCKET_REQUESTS_IN_FLIGHT, SOCKET_ROUTES } from '../contract/ws-requests.js';
import { BridgeClientError, errorFromBody, unavailableError } from './errors.js';
import type { CallOptions, Credentials } from './http.js';
import type { EventSocket, SocketFactory } from './socket.js';

export interface SocketCallsDeps {
  connect: SocketFactory;
  /** The call socket's URL (`events=none`) carrying these credentials. */
  url(credentials: Credentials): string;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** One socket, opened with one set of credentials; its replies settle its own requests. */
interface Channel {
  readonly key: string;
  readonly opened: Promise<EventSocket>;
  readonly pending: Map<string, Pending>;
  socket: EventSocket | undefined;
  /** Set once `opened` has resolved: calls then send at once, without awaiting it again. */
  ready: EventSocket | undefined;
  dead: boolean;
  /** Superseded by a socket with newer credentials: closes once its last call is answered. */
  retiring: boolean;
}

/** Why a call goes over HTTP after all. */
const USE_HTTP = Symbol('use HTTP');

/**
 * Calls of the socket routes (`mcp.call`, `mcp.resources.read`) as `request` frames on a socket
 * of their own (`/ws/v1/events?events=none`), kept open between calls: no HTTP request, headers
 * or connection per call. The replies are the HTTP routes' replies, so callers see the same
 * results and the same `BridgeClientError`s. A socket is tied to the credentials it was opened
 * with; new credentials (a new session) open a new one. A call too large for a frame, with
 * `respondAsync`, or whose socket could not be opened without an HTTP status to say why (a
 * browser hides it) goes over HTTP instead.
 */
export class SocketCalls {
  readonly #deps: SocketCallsDeps;
  #channel: Channel | undefined;
  #next = 0;
  #closed = false;

  constructor(deps: SocketCallsDeps) {
    this.#deps = deps;
  }

  /** Whether `route` may be called here at all. */
  static carries(route: RouteDef, options: CallOptions): boolean {
    return SOCKET_ROUTES.get(route.id) === route && !options.respondAsync && options.params === undefined && options.query === undefined;
  }

  /**
   * Sends the call and resolves with the route's reply, or rejects as the HTTP call would.
   * `http` sends it over HTTP instead, when the socket cannot carry it.
   */
  async call(route: RouteDef, options: CallOptions, credentials: Credentials, http: () => Promise<unknown>): Promise<unknown> {
    if (this.#closed) return http();
    const id = `c${++this.#next}`;
    const text = JSON.stringify({ type: 'request', id, route: route.id, ...(options.body !== undefined ? { body: options.body } : {}) });
    if (!fitsFrame(text)) return http();
    const result = await this.#send(id, text, options.signal, credentials);
    return result === USE_HTTP ? http() : result;
  }

  /** Closes the socket; calls still waiting reject `unavailable`. */
  close(): void {
    this.#closed = true;
    const channel = this.#channel;
    this.#channel = undefined;
    if (channel) this.#end(channel, 'The client was closed');
  }

  async #send(id: string, text: string, signal: AbortSignal | undefined, credentials: Credentials): Promise<unknown> {
    signal?.throwIfAborted();
    const channel = this.#channelFor(credentials);
    let socket = channel.ready;
    if (!socket) {
      try {
        socket = await channel.opened;
      } catch (error) {
        // Refused with a status (401, 403…): that is the answer. No status: let HTTP say why.
        if (error instanceof BridgeClientError && error.status !== null) throw error;
        return USE_HTTP;
      }
    }
    if (channel.dead) return USE_HTTP;
    if (channel.pending.size >= MAX_SOCKET_REQUESTS_IN_FLIGHT) return USE_HTTP;
    signal?.throwIfAborted();
    return new Promise<unknown>((resolve, reject) => {
      const onAbort = () => {
        if (!channel.pending.delete(id)) return;
        // The bridge abandons the work, as when an HTTP client goes away.
        if (!channel.dead) trySend(socket, JSON.stringify({ type: 'cancel', id }));
        reject(signal!.reason);
        closeIfIdle(channel);
      };
      channel.pending.set(id, {
        resolve: (value) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(value);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      if (!trySend(socket, text)) {
        channel.pending.delete(id);
        signal?.removeEventListener('abort', onAbort);
        reject(new BridgeClientError('unavailable', 'The call socket could not send the request.'));
      }
    });
  }

  #channelFor(credentials: Credentials): Channel {
    const key = `${credentials.sessionToken ?? ''}\n${credentials.uiToken ?? ''}`;
    const current = this.#channel;
    if (current && !current.dead && current.key === key) return current;
    // Other credentials: the old socket finishes its calls, then closes.
    if (current && !current.dead) {
      current.retiring = true;
      closeIfIdle(current);
    }
    const channel = this.#open(key, credentials);
    this.#channel = channel;
    return channel;
  }

  #open(key: string, credentials: Credentials): Channel {
    const pending = new Map<string, Pending>();
    let opened!: (socket: EventSocket) => void;
    let failed!: (error: unknown) => void;
    const openedPromise = new Promise<EventSocket>((resolve, reject) => {
      opened = resolve;
      failed = reject;
    });
    // Rejections are read by each call; none must go unhandled when no call waits.
    openedPromise.catch(() => {});
    const channel: Channel = { key, opened: openedPromise, pending, socket: undefined, ready: undefined, dead: false, retiring: false };
    void openedPromise.then((socket) => (channel.ready = socket), () => {});
    let url: string;
    try {
      url = this.#deps.url(credentials);
    } catch (error) {
      channel.dead = true;
      failed(error instanceof BridgeClientError ? error : unavailableError(error));
      return channel;
    }
    let socket: EventSocket | undefined;
    let open = false;
    this.#deps
      .connect(url, {
        open: () => {
          open = true;
          if (socket) opened(socket);
        },
        message: (frameText) => settle(channel, frameText),
        refused: (error) => {
          failed(error);
          this.#end(channel, 'The call socket was refused');
        },
        closed: (code, reason, wasOpen) => {
          if (!wasOpen) failed(unavailableError(new Error(`the call socket closed before opening (${code} ${reason})`)));
          // The session ended: the bridge abandoned the socket's calls (and reads no more frames),
          // so they are refused as an HTTP call with that token would be, and retried on a new one.
          if (code === WS_CLOSE_SESSION_EXPIRED) this.#end(channel, sessionEnded);
          else this.#end(channel, `The call socket closed (${code}${reason ? ` ${reason}` : ''}) before the bridge answered`);
        },
      })
      .then(
        (connected) => {
          socket = connected;
          channel.socket = connected;
          if (channel.dead || channel.retiring) connected.close(1000, 'client closed');
          else if (open) opened(connected);
        },
        (error: unknown) => {
          failed(unavailableError(error));
          this.#end(channel, 'The call socket could not be opened');
        },
      );
    return channel;
  }

  #end(channel: Channel, reason: string | (() => BridgeClientError)): void {
    const wasDead = channel.dead;
    channel.dead = true;
    if (this.#channel === channel) this.#channel = undefined;
    for (const pending of channel.pending.values()) {
      pending.reject(typeof reason === 'function' ? reason() : new BridgeClientError('unavailable', `${reason}; the call may or may not have been made.`));
    }
    channel.pending.clear();
    if (!wasDead) void channel.opened.then((socket) => socket.close(1000, 'client closed'), () => {});
  }
}

const sessionEnded = () =>
  new BridgeClientError('unauthorized', 'The session ended before the bridge answered; it abandoned the call.', { status: 401, details: { reason: 'expired' } });

/** A `reply` frame settles its request; anything else on the call socket (`ready`) is skipped. */
function settle(channel: Channel, text: string): void {
  let frame: { type?: unknown; id?: unknown; status?: unknown; body?: unknown };
  try {
    frame = JSON.parse(text) as typeof frame;
  } catch {
    return;
  }
  if (frame?.type !== 'reply' || typeof frame.id !== 'string' || typeof frame.status !== 'number') return;
  const pending = channel.pending.get(frame.id);
  if (!pending) return;
  channel.pending.delete(frame.id);
  if (frame.status >= 200 && frame.status < 300) pending.resolve(frame.body);
  else pending.reject(errorFromBody(frame.status, frame.body));
  closeIfIdle(channel);
}

function closeIfIdle(channel: Channel): void {
  if (!channel.retiring || channel.dead || channel.pending.size > 0) return;
  channel.dead = true;
  channel.socket?.close(1000, 'credentials changed');
}

function trySend(socket: EventSocket, text: string): boolean {
  try {
    socket.send(text);
    return true;
  } catch {
    return false;
  }
}

const encoder = new TextEncoder();

/** Whether the frame is within the bridge's bound (UTF-8 bytes; counted only when it could matter). */
function fitsFrame(text: string): boolean {
  if (text.length * 3 <= MAX_REQUEST_FRAME_BYTES) return true;
  if (text.length > MAX_REQUEST_FRAME_BYTES) return false;
  return encoder.encode(text).length <= MAX_REQUEST_FRAME_BYTES;
}
