import { BridgeClientError, errorFromReply, unavailableError } from './errors.js';

/**
 * The seam between the event stream and a platform WebSocket. Exactly one of `refused` and
 * `closed` is called, once, and nothing after it.
 */
export interface SocketHandlers {
  open(): void;
  message(text: string): void;
  /** A binary frame (an output chunk, on a socket opened with `outputFrames=binary`). */
  binary?(frame: Uint8Array): void;
  /** The upgrade got an HTTP error reply. Only Node can see it; browsers report a 1006 close. */
  refused(error: BridgeClientError): void;
  /** `opened` is false when the socket never connected (no status is known then). */
  closed(code: number, reason: string, opened: boolean): void;
}

export interface EventSocket {
  /** A client message (`prompt.resolve`); only once the socket is open. */
  send(text: string): void;
  close(code?: number, reason?: string): void;
}

export type SocketFactory = (url: string, handlers: SocketHandlers) => Promise<EventSocket>;

type NodeWsModule = typeof import('ws');

/**
 * The platform's WebSocket: the global one in browsers (they send `Origin` themselves), the `ws`
 * package on Node, which has no global WebSocket before v22 and cannot set `Origin` with it.
 */
export function platformSocketFactory(origin: string | undefined): SocketFactory {
  const isBrowser = typeof (globalThis as { document?: unknown }).document !== 'undefined';
  const GlobalWebSocket = (globalThis as { WebSocket?: typeof WebSocket }).WebSocket;
  if (GlobalWebSocket && (isBrowser || !origin)) return async (url, handlers) => openStandard(GlobalWebSocket, url, handlers);
  return async (url, handlers) => openNodeWs(await loadWs(), url, origin, handlers);
}

let wsModule: Promise<NodeWsModule> | undefined;
function loadWs(): Promise<NodeWsModule> {
  // A computed specifier keeps browser bundlers from pulling `ws` in; only Node reaches this.
  const specifier = 'ws';
  wsModule ??= import(/* @vite-ignore */ specifier) as Promise<NodeWsModule>;
  return wsModule;
}

function once(handlers: SocketHandlers) {
  let settled = false;
  return {
    refused(error: BridgeClientError) {
      if (settled) return;
      settled = true;
      handlers.refused(error);
    },
    closed(code: number, reason: string, opened: boolean) {
      if (settled) return;
      settled = true;
      handlers.closed(code, reason, opened);
    },
    get settled() {
      return settled;
    },
  };
}

function openStandard(Ctor: typeof WebSocket, url: string, handlers: SocketHandlers): EventSocket {
  const end = once(handlers);
  let opened = false;
  let socket: WebSocket;
  try {
    socket = new Ctor(url);
  } catch (error) {
    end.refused(unavailableError(error));
    return {
      send() {
        throw new Error('The socket never opened.');
      },
      close() {},
    };
  }
  socket.onopen = () => {
    opened = true;
    if (!end.settled) handlers.open();
  };
  socket.binaryType = 'arraybuffer';
  socket.onmessage = (event: MessageEvent) => {
    if (end.settled) return;
    if (typeof event.data === 'string') handlers.message(event.data);
    else if (event.data instanceof ArrayBuffer) handlers.binary?.(new Uint8Array(event.data));
  };
  socket.onclose = (event: CloseEvent) => end.closed(event.code, event.reason, opened);
  return {
    send(text) {
      socket.send(text);
    },
    close(code, reason) {
      socket.close(code, reason);
    },
  };
}

function openNodeWs(ws: NodeWsModule, url: string, origin: string | undefined, handlers: SocketHandlers): EventSocket {
  const end = once(handlers);
  let opened = false;
  const socket = new ws.WebSocket(url, { ...(origin ? { origin } : {}), perMessageDeflate: false });
  socket.on('open', () => {
    opened = true;
    if (!end.settled) handlers.open();
  });
  socket.on('message', (data, isBinary) => {
    if (end.settled) return;
    if (!isBinary) handlers.message(data.toString());
    else handlers.binary?.(Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : new Uint8Array(data));
  });
  socket.on('unexpected-response', (_request, response) => {
    // Read the contract error body so a 401 (re-handshake) is told apart from a 403 (give up).
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('error', () => {});
    response.on('end', () => {
      end.refused(errorFromReply(response.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
      socket.terminate();
    });
  });
  socket.on('error', () => {
    // Always followed by `close`, which reports it.
  });
  socket.on('close', (code, reason) => end.closed(code, reason.toString(), opened));
  return {
    send(text) {
      socket.send(text);
    },
    close(code, reason) {
      if (socket.readyState === socket.CONNECTING) socket.terminate();
      else socket.close(code, reason);
    },
  };
}
