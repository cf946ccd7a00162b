/**
 * The local UI's HTTP client: every call carries the UI token; failures become `ApiError` with the
 * contract's error code, so pages can tell "not available on this bridge yet" (501) from a real error.
 */
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** The route exists in the contract but no capability serves it here, or the route is unknown. */
  get unavailable() {
    return this.code === 'unsupported' || (this.status === 404 && this.code === 'not_found' && !this.details);
  }
}

export const session = {
  baseUrl: location.protocol.startsWith('http') ? location.origin : 'http://127.0.0.1:47832',
  token: null,
};

export async function api(method, path, body) {
  const headers = { 'x-osloop-ui-token': session.token ?? '' };
  if (method !== 'GET') headers['content-type'] = 'application/json';
  let response;
  try {
    response = await fetch(`${session.baseUrl}${path}`, {
      method,
      headers,
      body: method === 'GET' ? undefined : JSON.stringify(body ?? {}),
      cache: 'no-store',
    });
  } catch (error) {
    throw new ApiError(0, 'unreachable', `The bridge at ${session.baseUrl} does not answer.`, { cause: String(error) });
  }
  const data = parseJson(await response.text());
  if (!response.ok) {
    const error = data?.error;
    throw new ApiError(response.status, error?.code ?? 'http_error', error?.message ?? `HTTP ${response.status}`, error?.details);
  }
  return data;
}

function parseJson(text) {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body);
export const patch = (path, body) => api('PATCH', path, body);
export const del = (path) => api('DELETE', path);

/** ws:// URL of a socket path on the bridge, with the UI token as the upgrade's query parameter. */
export function socketUrl(path, params = {}) {
  const url = new URL(path, session.baseUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.searchParams.set('uiToken', session.token ?? '');
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
  return url.toString();
}
