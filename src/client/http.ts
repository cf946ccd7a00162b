import { TOKEN_HEADER, UI_TOKEN_HEADER } from '../contract/constants.js';
import type { RouteAuth, RouteDef } from '../contract/route.js';
import { BridgeClientError, errorFromReply, unavailableError } from './errors.js';
import type { RequestOptions, Requester } from './requester.js';

/** How requests leave the client: where to, by which means, claiming which origin. */
export interface HttpContext {
  baseUrl: string;
  /** Sent as `Origin` when set (Node); browsers set it themselves and ignore ours. */
  origin: string | undefined;
  request: Requester;
}

/** The credentials a request may carry; which ones it does carry depends on the route's auth. */
export interface Credentials {
  sessionToken: string | null;
  uiToken: string | null;
}

/** The untyped shape of a call; `RouteCallOptions` is its typed face. */
export interface CallOptions {
  params?: Record<string, unknown>;
  query?: Record<string, unknown>;
  body?: unknown;
  signal?: AbortSignal;
  /** On routes that honour it (execute): answer at once instead of waiting for the user's decision (`Prefer: respond-async`). */
  respondAsync?: boolean;
}

const BODY_METHODS = new Set(['POST', 'PATCH', 'DELETE']);

/** `/api/v1/runs/:runId` + `{ runId }` → `/api/v1/runs/<encoded id>`; a missing param is a bug. */
export function fillPath(path: string, params: Record<string, unknown> = {}): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, (_match, name: string) => {
    const value = params[name];
    if (value === undefined || value === null || value === '') {
      throw new TypeError(`Missing path parameter "${name}" for ${path}; received ${JSON.stringify(value)}.`);
    }
    const text = String(value);
    // URL parsers resolve `.` and `..` segments (even percent-encoded), so they cannot be sent.
    if (text === '.' || text === '..') throw new TypeError(`Path parameter "${name}" for ${path} cannot be ${JSON.stringify(text)}.`);
    return encodeURIComponent(text);
  });
}

/**
 * Query values as the bridge parses them: arrays as repeated keys (OpenAPI `explode`), booleans
 * and numbers as text, `undefined`/`null` left out.
 */
export function encodeQuery(query: Record<string, unknown> = {}): string {
  const search = new URLSearchParams();
  const append = (key: string, value: unknown) => {
    if (value === undefined || value === null) return;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
      search.append(key, String(value));
      return;
    }
    throw new TypeError(`Query parameter "${key}" must be a string, number, boolean or an array of them; received ${JSON.stringify(value)}.`);
  };
  for (const [key, value] of Object.entries(query)) {
    if (Array.isArray(value)) for (const item of value) append(key, item);
    else append(key, value);
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

/** The full URL of one call. */
export function buildRouteUrl(baseUrl: string, route: Pick<RouteDef, 'path'>, options: Pick<CallOptions, 'params' | 'query'> = {}): string {
  return `${baseUrl.replace(/\/+$/, '')}${fillPath(route.path, options.params)}${encodeQuery(options.query)}`;
}

/** Headers for a route's auth: the session token, the UI token, or both for `session_or_ui`. */
export function credentialHeaders(auth: RouteAuth, credentials: Credentials): Record<string, string> {
  const headers: Record<string, string> = {};
  if ((auth === 'session' || auth === 'session_or_ui') && credentials.sessionToken) headers[TOKEN_HEADER] = credentials.sessionToken;
  if ((auth === 'ui' || auth === 'session_or_ui') && credentials.uiToken) headers[UI_TOKEN_HEADER] = credentials.uiToken;
  return headers;
}

/**
 * Sends one call and returns the parsed reply. Every failure is a `BridgeClientError`, except an
 * abort through the caller's signal, which rejects with the signal's reason as `fetch` does.
 */
export async function sendRoute(context: HttpContext, route: RouteDef, options: CallOptions, credentials: Credentials): Promise<unknown> {
  const url = buildRouteUrl(context.baseUrl, route, options);
  const headers: Record<string, string> = { accept: 'application/json', ...credentialHeaders(route.auth, credentials) };
  if (context.origin) headers.origin = context.origin;
  if (options.respondAsync && route.preferAsync) headers.prefer = 'respond-async';
  const init: RequestOptions = { method: route.method, headers };
  if (options.signal) init.signal = options.signal;
  if (BODY_METHODS.has(route.method)) {
    // The bridge refuses body methods without this type (CSRF defence), even with no body.
    headers['content-type'] = 'application/json';
    // An object schema with nothing required still wants an object, not an absent body.
    init.body = options.body !== undefined ? JSON.stringify(options.body) : route.body ? '{}' : '';
  }

  let text: string;
  let status: number;
  try {
    ({ status, text } = await context.request(url, init));
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    throw unavailableError(error);
  }
  if (status < 200 || status >= 300) throw errorFromReply(status, text);
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new BridgeClientError('internal', `The bridge replied ${status} with a body that is not JSON.`, { status, cause: error });
  }
}
