import { Readable } from 'node:stream';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { Agent, errors, request } from 'undici';

/** Statuses whose `Response` has no body (its constructor refuses one). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

let sharedAgent: Agent | undefined;

/**
 * The `fetch` a Streamable HTTP session uses for its own MCP endpoint: one undici `request` and a
 * `Response` around its body, instead of the WHATWG fetch machinery (its Request, fetch
 * controller, body streams and their transfer set-up), which was most of the bridge's own CPU
 * per call to an HTTP server (issue 15, the 8-server row). It behaves as `fetch` does for what
 * the SDK sends there: a string body, `redirect: 'manual'` (the SDK follows redirects itself;
 * this returns the 3xx with its Location), the abort signal (rejected with its reason) and a
 * network failure as `TypeError('fetch failed')` with the cause the error reports read. Anything
 * else (another URL, such as the OAuth endpoints, or another kind of body) goes to `fetch`.
 *
 * One failure is retried, as browsers retry it: a kept-alive connection the server closed just as
 * the request reached it, before any byte of an answer. A server whose event loop stalls runs its
 * keep-alive timer before it reads what arrived, and closes the socket with the request unread,
 * so sending it again on a new connection cannot run it twice. Nothing else is retried.
 */
export function endpointFetch(endpoint: URL): FetchLike {
  const href = endpoint.href;
  return (url, init) => {
    const target = typeof url === 'string' ? url : url.href;
    const body = init?.body;
    if (target !== href || (body !== undefined && body !== null && typeof body !== 'string')) return fetch(url, init);
    return leanFetch(target, init ?? {}, body ?? undefined);
  };
}

async function leanFetch(url: string, init: RequestInit, body: string | undefined): Promise<Response> {
  const signal = init.signal ?? undefined;
  signal?.throwIfAborted();
  const method = init.method ?? 'GET';
  const headers = plainHeaders(init.headers);
  const send = () => request(url, { method: method as 'GET', headers, body, ...(signal ? { signal } : {}), dispatcher: (sharedAgent ??= new Agent()) });
  let answer: Awaited<ReturnType<typeof request>>;
  try {
    answer = await send().catch((error: unknown) => {
      if (signal?.aborted || !closedUnansweredAfterEarlierUse(error)) throw error;
      return send();
    });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw new TypeError('fetch failed', { cause: error });
  }
  const answerHeaders = new Headers();
  for (const [name, value] of Object.entries(answer.headers)) {
    if (Array.isArray(value)) for (const item of value) answerHeaders.append(name, item);
    else if (value !== undefined) answerHeaders.append(name, value);
  }
  const empty = NULL_BODY_STATUSES.has(answer.statusCode) || method === 'HEAD';
  // Read to its end (nothing, for these statuses), so that the connection serves the next request.
  if (empty) void answer.body.dump().catch(() => {});
  return new Response(empty ? null : webBody(answer.body), { status: answer.statusCode, headers: answerHeaders });
}

/**
 * The server closed the connection before the answer's headers, on a socket that had read bytes
 * (`bytesRead`: earlier answers, so it was kept alive and reused). A fresh connection closed with
 * nothing read is a real failure and is not retried; nor is a reset, whose error says nothing of
 * the socket. The one case this cannot tell apart: a server that sent part of its headers and then
 * closed has read bytes too, and is sent the request once more (undici reports both alike).
 */
function closedUnansweredAfterEarlierUse(error: unknown): boolean {
  return error instanceof errors.SocketError && (error.socket?.bytesRead ?? 0) > 0;
}

/**
 * The body as a web stream, read as the SDK pulls it. Not `Readable.toWeb`: on Node 20 its
 * adapter threw "Controller is already closed" (uncaught, from its `data` listener) 24 times in
 * one run of the MCP conformance suite (test/conformance), where sessions end mid-stream.
 */
function webBody(body: Readable): ReadableStream<Uint8Array> {
  // Failures reach the reader through the iterator; this only keeps a late one from going uncaught.
  body.on('error', () => {});
  const chunks = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await chunks.next();
        if (done) controller.close();
        else controller.enqueue(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
      } catch (error) {
        controller.error(error);
      }
    },
    async cancel() {
      await chunks.return?.();
    },
  });
}

function plainHeaders(headers: RequestInit['headers']): Record<string, string> {
  const plain: Record<string, string> = {};
  if (!headers) return plain;
  (headers instanceof Headers ? headers : new Headers(headers)).forEach((value, name) => {
    plain[name] = value;
  });
  return plain;
}
