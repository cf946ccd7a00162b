/** One HTTP exchange as the client needs it: the status and the body's text. */
export type Requester = (url: string, init: RequestOptions) => Promise<{ status: number; text: string }>;

export interface RequestOptions {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/** Requests through a WHATWG `fetch` (browsers, or one the caller gave). */
export function fetchRequester(fetchImpl: typeof fetch): Requester {
  return async (url, init) => {
    const response = await fetchImpl(url, init);
    return { status: response.status, text: await response.text() };
  };
}

type UndiciModule = typeof import('undici');
type UndiciPool = InstanceType<UndiciModule['Pool']>;

/**
 * Node: requests on an undici `Pool` of kept-alive connections to the bridge, without `fetch`'s
 * WHATWG Request, Headers and streams around each one. Measured here on the same small JSON
 * reply: 30 µs of the client's CPU per request against 154–170 µs with the global `fetch`
 * (docs/performance.md, "MCP rows"). Falls back to the global `fetch` when undici cannot be loaded.
 */
export function undiciRequester(baseUrl: string): Requester {
  const origin = new URL(baseUrl).origin;
  let pool: Promise<UndiciPool | null> | undefined;
  const viaFetch = fetchRequester(globalThis.fetch.bind(globalThis));
  return async (url, init) => {
    pool ??= loadUndici().then(
      ({ Pool }) => new Pool(origin),
      () => null,
    );
    const ready = await pool;
    if (!ready) return viaFetch(url, init);
    const target = new URL(url);
    const response = await ready.request({
      path: `${target.pathname}${target.search}`,
      method: init.method as 'GET',
      headers: init.headers,
      ...(init.body !== undefined ? { body: init.body } : {}),
      ...(init.signal ? { signal: init.signal } : {}),
    });
    return { status: response.statusCode, text: await response.body.text() };
  };
}

/** Whether this is Node (not a browser, whose `fetch` is the only way and sends its own Origin). */
export function isNode(): boolean {
  const global = globalThis as { document?: unknown; process?: { versions?: { node?: string } } };
  return global.document === undefined && typeof global.process?.versions?.node === 'string';
}

let undiciModule: Promise<UndiciModule> | undefined;
function loadUndici(): Promise<UndiciModule> {
  // A computed specifier keeps browser bundlers from pulling undici in; only Node reaches this.
  const specifier = 'undici';
  undiciModule ??= import(/* @vite-ignore */ specifier) as Promise<UndiciModule>;
  return undiciModule;
}
