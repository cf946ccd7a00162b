import fc from 'fast-check';
import type { z } from 'zod';
import { TOKEN_HEADER, UI_TOKEN_HEADER } from '../../../src/contract/constants.js';
import { ROUTE_LIST } from '../../../src/contract/routes/index.js';
import type { RouteDef } from '../../../src/contract/route.js';
import { TRAVERSAL, arbitraryFromSchema, inputJsonSchema, mutationArbitrary, mutate, nastyNumber, nastyString, nastyValue } from './fuzz-arbitraries.js';
import { SOCKET_ROUTES } from '../../../src/contract/ws-requests.js';
import { requestScriptArbitrary } from './fuzz-socket-requests.js';
import type { FrameAction, WireRequest, WsCase } from './fuzz-wire.js';

/** What the fuzzer sends, one arbitrary per category; every route of `ROUTES` is in each. */
export const HTTP_CATEGORIES = ['valid-shaped', 'mutated-body', 'malformed-json', 'oversized-body', 'content-type', 'path', 'query', 'auth', 'raw-http'] as const;
export const WS_CATEGORIES = ['ws-upgrade', 'ws-frames', 'ws-requests'] as const;
export type HttpCategory = (typeof HTTP_CATEGORIES)[number];
export type WsCategory = (typeof WS_CATEGORIES)[number];
export type Category = HttpCategory | WsCategory;

export type FuzzCase =
  | { category: HttpCategory | 'ws-upgrade'; routeId: string; request: WireRequest }
  | { category: 'ws-frames' | 'ws-requests'; routeId: string; ws: WsCase };

export interface FuzzTarget {
  port: number;
  origin: string;
  sessionToken: string;
  uiToken: string;
  bodyLimitBytes: number;
  /** Strings worth trying in any string field (paths inside and around the file targets). */
  dictionary: string[];
}

interface RouteModel {
  route: RouteDef;
  paramNames: string[];
  params: fc.Arbitrary<Record<string, unknown>>;
  query: fc.Arbitrary<Record<string, unknown>>;
  body: fc.Arbitrary<unknown> | null;
  /** The body as derived, refinements unchecked: the base of hostile bodies, cheaper to make. */
  rawBody: fc.Arbitrary<unknown> | null;
}

const WS_PATHS = ['/ws/v1/events', '/ws/v1/ui/inspector'] as const;

/** Every route's params, query and body as arbitraries, derived from its zod schemas. */
export function routeModels(dictionary: string[]): RouteModel[] {
  const raw = (schema: z.ZodType | undefined) => (schema ? arbitraryFromSchema(inputJsonSchema(schema), dictionary) : null);
  const derive = (schema: z.ZodType | undefined) => (schema ? mostlyValid(schema, raw(schema)!) : null);
  return ROUTE_LIST.map((route) => ({
    route,
    paramNames: [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!),
    params: (derive(route.params) ?? fc.constant({})) as fc.Arbitrary<Record<string, unknown>>,
    query: (derive(route.query) ?? fc.constant({})) as fc.Arbitrary<Record<string, unknown>>,
    body: derive(route.body),
    rawBody: raw(route.body),
  }));
}

/**
 * JSON Schema cannot carry a route's refinements (a template must mirror its command's shape…), so
 * values that break them are mostly filtered out by the zod schema itself; one in ten goes as is.
 * A schema the generator never satisfies (checked on a sample) is left unfiltered.
 */
function mostlyValid(schema: z.ZodType, arbitrary: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  const accepts = (value: unknown) => schema.safeParse(value).success;
  if (!fc.sample(arbitrary, { numRuns: 200, seed: 1 }).some(accepts)) return arbitrary;
  return fc.oneof({ weight: 9, arbitrary: arbitrary.filter(accepts) }, { weight: 1, arbitrary });
}

// ---------------------------------------------------------------------------------------------
// Building requests

/** `encodeURIComponent`, except that a lone surrogate goes out as the bytes Node would make of it. */
const encode = (value: string): string => {
  try {
    return encodeURIComponent(value);
  } catch {
    return [...Buffer.from(value, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
  }
};

const queryValue = (value: unknown): string[] => {
  if (Array.isArray(value)) return value.map((item) => (typeof item === 'string' ? item : JSON.stringify(item)));
  if (typeof value === 'string') return [value];
  return [value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value)];
};

/** `?a=1&b=x` from an object, each value percent-encoded (arrays as repeated keys). */
export function queryString(query: Record<string, unknown>, join: 'repeat' | 'comma' = 'repeat'): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    const values = queryValue(value);
    if (join === 'comma' && Array.isArray(value)) parts.push(`${encode(key)}=${values.map(encode).join(',')}`);
    else for (const v of values) parts.push(`${encode(key)}=${encode(v)}`);
  }
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

function fillPath(model: RouteModel, params: Record<string, unknown>, raw = false): string {
  return model.route.path.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => {
    const value = params[name] === undefined ? '' : String(params[name]);
    return raw ? value : encode(value);
  });
}

type Auth = 'session' | 'ui' | 'none';

function credentials(target: FuzzTarget, auth: Auth): Array<[string, string]> {
  const host: Array<[string, string]> = [['Host', `127.0.0.1:${target.port}`], ['Origin', target.origin]];
  if (auth === 'session') return [...host, [TOKEN_HEADER, target.sessionToken]];
  if (auth === 'ui') return [...host, [UI_TOKEN_HEADER, target.uiToken]];
  return host;
}

/** The credential a caller that may use the route would send: a web app where it may, else the UI. */
const authArbitrary = (route: RouteDef): fc.Arbitrary<Auth> =>
  route.auth === 'none' ? fc.constant('none') : route.auth === 'ui' ? fc.constant('ui') : fc.constantFrom<Auth>('session', 'session', 'ui');

const JSON_TYPE: [string, string] = ['Content-Type', 'application/json'];
const hasBody = (method: string) => method !== 'GET';

function jsonRequest(target: FuzzTarget, model: RouteModel, auth: Auth, params: Record<string, unknown>, query: Record<string, unknown>, body: string | undefined): WireRequest {
  return {
    method: model.route.method,
    target: `${fillPath(model, params)}${queryString(query)}`,
    headers: [...credentials(target, auth), ...(hasBody(model.route.method) ? [JSON_TYPE] : [])],
    ...(body !== undefined ? { body } : {}),
  };
}

const json = (value: unknown) => (value === undefined ? undefined : JSON.stringify(value));

/** Builds one category's arbitrary over every route. */
export function categoryArbitrary(category: Category, target: FuzzTarget, models: RouteModel[]): fc.Arbitrary<FuzzCase> {
  const perRoute = (build: (model: RouteModel) => fc.Arbitrary<FuzzCase>) => fc.oneof(...models.map(build));
  const http = (model: RouteModel, request: fc.Arbitrary<WireRequest>) =>
    request.map((r): FuzzCase => ({ category: category as HttpCategory, routeId: model.route.id, request: r }));
  const bodyRoutes = models.filter((m) => m.body);

  switch (category) {
    case 'valid-shaped':
      return perRoute((m) =>
        http(
          m,
          fc
            .tuple(authArbitrary(m.route), m.params, m.query, m.body ?? fc.constant(undefined), m.route.preferAsync ? preferArbitrary : fc.constant(null))
            .map(([auth, p, q, b, prefer]) => {
              const request = jsonRequest(target, m, auth, p, q, json(b));
              return prefer === null ? request : { ...request, headers: [...request.headers, ['Prefer', prefer] as [string, string]] };
            }),
        ),
      );
    case 'mutated-body':
      return fc.oneof(
        ...bodyRoutes.map((m) =>
          http(
            m,
            fc
              .tuple(authArbitrary(m.route), m.params, m.rawBody!, fc.array(mutationArbitrary, { minLength: 1, maxLength: 3 }))
              .map(([auth, p, b, mutations]) => jsonRequest(target, m, auth, p, {}, JSON.stringify(mutate(b, mutations)) ?? 'null')),
          ),
        ),
      );
    case 'malformed-json':
      return fc.oneof(...bodyRoutes.map((m) => http(m, fc.tuple(authArbitrary(m.route), m.params, m.rawBody!, malformedJson).map(([auth, p, b, bad]) => ({ ...jsonRequest(target, m, auth, p, {}, undefined), body: bad(JSON.stringify(b)) })))));
    case 'oversized-body':
      return fc.oneof(
        ...bodyRoutes.map((m) =>
          http(
            m,
            // Past the route's own limit when it declares one (the handshake's is far below the configured one).
            fc.tuple(authArbitrary(m.route), m.params, fc.integer({ min: 1, max: 2 * (m.route.bodyLimit ?? target.bodyLimitBytes) }), fc.boolean(), fc.boolean()).map(([auth, p, extra, asJson, chunked]) => {
              const size = (m.route.bodyLimit ?? target.bodyLimitBytes) + extra;
              const body = asJson ? JSON.stringify({ pad: 'x'.repeat(size) }) : 'y'.repeat(size);
              return { ...jsonRequest(target, m, auth, p, {}, undefined), body, chunked };
            }),
          ),
        ),
      );
    case 'content-type':
      return perRoute((m) =>
        http(
          m,
          fc.tuple(authArbitrary(m.route), m.params, m.query, m.rawBody ?? fc.constant({}), contentTypeArbitrary, fc.constantFrom(m.route.method, 'POST', 'PATCH', 'DELETE', 'PUT', 'GET')).map(([auth, p, q, b, type, method]) => {
            const request = jsonRequest(target, m, auth, p, q, JSON.stringify(b));
            return { ...request, method, headers: [...request.headers.filter(([name]) => name !== 'Content-Type'), ...(type === null ? [] : ([['Content-Type', type]] as Array<[string, string]>))] };
          }),
        ),
      );
    case 'path':
      return fc.oneof(
        { weight: 3, arbitrary: perRoute((m) => http(m, fc.tuple(authArbitrary(m.route), m.rawBody ?? fc.constant(undefined), pathTwist(m)).map(([auth, b, path]) => ({ ...jsonRequest(target, m, auth, {}, {}, json(b)), target: path })))) },
        { weight: 1, arbitrary: strayPath(target) },
      );
    case 'query':
      return perRoute((m) =>
        http(
          m,
          fc.tuple(authArbitrary(m.route), m.params, m.query, m.body ?? fc.constant(undefined), queryTwist).map(([auth, p, q, b, twist]) => {
            const request = jsonRequest(target, m, auth, p, {}, json(b));
            return { ...request, target: `${fillPath(m, p)}${twist(q)}` };
          }),
        ),
      );
    case 'auth':
      return perRoute((m) =>
        http(m, fc.tuple(m.params, m.query, m.rawBody ?? fc.constant(undefined), authTwist(target)).map(([p, q, b, headers]) => ({ ...jsonRequest(target, m, 'none', p, q, json(b)), headers }))),
      );
    case 'raw-http':
      return perRoute((m) => http(m, fc.tuple(m.params, rawTwist).map(([p, twist]) => ({ method: 'GET', target: '/', headers: [], raw: twist(m.route.method, fillPath(m, p), target) }))));
    case 'ws-upgrade':
      return fc
        .tuple(fc.constantFrom(...WS_PATHS), wsQuery(target), wsHeaders(target))
        .map(([path, query, headers]): FuzzCase => ({ category: 'ws-upgrade', routeId: `ws ${path}`, request: { method: 'GET', target: `${path}${query}`, headers } }));
    case 'ws-frames':
      return fc
        .tuple(fc.constantFrom(...WS_PATHS), fc.boolean(), fc.array(frameArbitrary, { minLength: 1, maxLength: 4 }), fc.option(fc.constantFrom('types=system.command.*', 'since=0', 'kinds=commandRun', 'desktop=1', 'types=%3E')))
        .map(([path, deflate, frames, extra]): FuzzCase => {
          const token = path === '/ws/v1/events' ? `sessionToken=${encode(target.sessionToken)}` : `uiToken=${encode(target.uiToken)}`;
          const query = `?${token}${extra && (path === '/ws/v1/events') === !/kinds|desktop/.test(extra) ? `&${extra}` : ''}`;
          return { category: 'ws-frames', routeId: `ws ${path}`, ws: { path, query, headers: { origin: target.origin }, perMessageDeflate: deflate, frames } };
        });
    case 'ws-requests': {
      // Request frames on the typed client's call socket and on the web app's own event socket.
      const socketRoutes = models.filter((m) => SOCKET_ROUTES.has(m.route.id)).map((m) => ({ routeId: m.route.id, body: m.body, rawBody: m.rawBody }));
      return fc
        .tuple(requestScriptArbitrary(socketRoutes), fc.constantFrom('&events=none', '&events=none', ''), fc.boolean())
        .map(([script, events, deflate]): FuzzCase => ({
          category: 'ws-requests',
          routeId: 'ws /ws/v1/events request frames',
          ws: { path: '/ws/v1/events', query: `?sessionToken=${encode(target.sessionToken)}${events}`, headers: { origin: target.origin }, perMessageDeflate: deflate, frames: script.frames, answers: script.answers, oversized: script.oversized },
        }));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Hostile request parts

const malformedJson: fc.Arbitrary<(valid: string) => string> = fc.oneof(
  fc.nat().map((cut) => (valid: string) => valid.slice(0, cut % Math.max(valid.length, 1))),
  fc.constantFrom(
    () => '{',
    () => '}',
    () => '{"a":}',
    () => "{'a':1}",
    () => '{"a":1,}',
    () => '[1,2',
    () => 'NaN',
    () => '{"a":NaN}',
    () => '{"a":Infinity}',
    () => '{"a":1e400}',
    () => '{"a":-}',
    () => 'undefined',
    () => '\uFEFF{}',
    () => '{"a":"\\ud800"}',
    () => '{"a":"\\u00"}',
    () => '{"__proto__":{"polluted":true}}',
    () => '{"constructor":{"prototype":{"polluted":true}}}',
    () => '{"a":1}{"b":2}',
    () => '\0',
    () => '[' .repeat(100_000),
    () => `${'['.repeat(50_000)}${']'.repeat(50_000)}`,
    () => `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`,
    (valid: string) => `${valid}garbage`,
    (valid: string) => valid.replace(/"/g, "'"),
    (valid: string) => valid.replace(/:/, ''),
  ),
  fc.string({ unit: 'binary', maxLength: 200 }).map((junk) => () => junk),
);

const contentTypeArbitrary: fc.Arbitrary<string | null> = fc.oneof(
  fc.constantFrom(
    null,
    '',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/JSON',
    'application/json; charset=utf-16',
    'application/json; charset=latin1',
    'application/json;;;',
    'application/json, text/plain',
    'application/jsonx',
    'application/problem+json',
    'application/vnd.api+json',
    ' application/json ',
    'json',
    '*/*',
    'application/json\u0000',
  ),
  fc.string({ maxLength: 40, unit: fc.constantFrom(...'abcdefjsonp/;=+ -*,'.split('')) }),
);

/** The route's path with a hostile parameter or a malformed shape. */
function pathTwist(model: RouteModel): fc.Arbitrary<string> {
  const bad = fc.oneof(fc.constantFrom(...TRAVERSAL), nastyString.map((s) => encode(s.slice(0, 3000))), fc.constantFrom('x'.repeat(129), 'x'.repeat(8000)));
  const route = model.route.path;
  const params = model.paramNames;
  return fc.oneof(
    params.length > 0
      ? fc.tuple(bad, fc.boolean()).map(([value, tail]) => `${route.replace(/:[A-Za-z0-9_]+/g, value)}${tail ? '/' : ''}`)
      : fc.constant(route),
    fc.constantFrom(
      `${route}/`,
      `${route}//`,
      `/api/v1${route}`,
      route.toUpperCase(),
      route.replace('/api/v1', '/api/v2'),
      route.replace(/\//g, '%2F'),
      route.replace(/\/([^/]+)$/, '/./$1'),
      route.replace(/\/([^/]+)$/, '/../v1/$1'),
      `${route}%00`,
      `${route}#frag`,
      `${route};x=1`,
      route.replace(/:[A-Za-z0-9_]+/g, ''),
    ),
  );
}

/** Paths that belong to no route (or to the sockets, asked without an upgrade). */
function strayPath(target: FuzzTarget): fc.Arbitrary<FuzzCase> {
  return fc
    .tuple(
      fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'FOO'),
      fc.oneof(
        fc.constantFrom('/', '/ws/v1/events', '/ws/v1/ui/inspector', '/api', '/api/v1', '/api/v1/', '/ui', '/ui/', '/ui/../../etc/passwd', '/ui/%2e%2e/%2e%2e/package.json', '/api/v1/openapi.json', '/favicon.ico', '*'),
        fc.webPath().map((p) => `/api/v1${p}`),
        fc.array(fc.constantFrom(...TRAVERSAL), { minLength: 1, maxLength: 6 }).map((segments) => `/ui/${segments.join('/')}`),
      ),
    )
    .map(([method, path]): FuzzCase => ({
      category: 'path',
      routeId: `stray ${method} ${path.slice(0, 60)}`,
      request: { method, target: path, headers: [...credentials(target, 'session'), ...(hasBody(method) ? [JSON_TYPE] : [])], ...(hasBody(method) ? { body: '{}' } : {}) },
    }));
}

const queryTwist: fc.Arbitrary<(query: Record<string, unknown>) => string> = fc.oneof(
  fc.tuple(fc.nat(), nastyValue).map(([at, value]) => (query: Record<string, unknown>) => {
    const keys = Object.keys(query);
    const key = keys.length > 0 ? keys[at % keys.length]! : 'limit';
    return queryString({ ...query, [key]: value });
  }),
  fc.tuple(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor[prototype]', 'since', 'waitMs', 'refresh', 'a[b]')), nastyValue).map(
    ([key, value]) => (query: Record<string, unknown>) => queryString({ ...query, [key]: value }),
  ),
  fc.constant((query: Record<string, unknown>) => queryString(Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v, v]])))),
  fc.constant((query: Record<string, unknown>) => queryString(query, 'comma')),
  fc.tuple(nastyNumber, fc.constantFrom('limit', 'waitMs', 'offset', 'maxBytes', 'since')).map(([n, key]) => () => `?${key}=${encode(String(n))}`),
  fc.constantFrom(
    '?',
    '?&&&',
    '?=',
    '?a',
    '?%',
    '?%zz=1',
    '?a=%00',
    '?a=%c0%80',
    '?a=%ff%fe',
    `?a=${'b'.repeat(12_000)}`,
    `?${'a=1&'.repeat(2_000)}`,
    '?waitMs=NaN',
    '?waitMs=1e999',
    '?waitMs=-1',
    '?waitMs=0x10',
    '?limit=99999999999999999999999',
    '?refresh=yes',
    '?state=',
    '?state=,,,',
    '?cursor=%2e%2e%2f',
  ).map((raw) => () => raw),
);

/** Credential headers that should all be refused, or accepted only when they happen to fit. */
function authTwist(target: FuzzTarget): fc.Arbitrary<Array<[string, string]>> {
  const host: [string, string] = ['Host', `127.0.0.1:${target.port}`];
  const origin: [string, string] = ['Origin', target.origin];
  const tokenish = fc.oneof(fc.constantFrom('', ' ', 'null', 'undefined', 'Bearer x', target.sessionToken.slice(0, -1), `${target.sessionToken}x`, target.uiToken.toUpperCase()), fc.base64String({ maxLength: 64 }), fc.string({ maxLength: 300, unit: fc.constantFrom(...'abc-_=+/.~ ') }));
  return fc.oneof(
    fc.constant([host, origin]),
    fc.constant([host]),
    tokenish.map((t): Array<[string, string]> => [host, origin, [TOKEN_HEADER, t]]),
    tokenish.map((t): Array<[string, string]> => [host, origin, [UI_TOKEN_HEADER, t]]),
    fc.constant<Array<[string, string]>>([host, origin, [UI_TOKEN_HEADER, target.sessionToken]]),
    fc.constant<Array<[string, string]>>([host, origin, [TOKEN_HEADER, target.uiToken]]),
    fc.constant<Array<[string, string]>>([host, origin, [TOKEN_HEADER, target.sessionToken], [TOKEN_HEADER, target.sessionToken]]),
    fc.constant<Array<[string, string]>>([host, ['Origin', 'https://evil.example'], [TOKEN_HEADER, target.sessionToken]]),
    fc.constant<Array<[string, string]>>([host, ['Origin', 'null'], [UI_TOKEN_HEADER, target.uiToken]]),
    fc.constant<Array<[string, string]>>([host, [TOKEN_HEADER, target.sessionToken]]),
    fc.constant<Array<[string, string]>>([host, ['Origin', `http://localhost:${target.port}`], [TOKEN_HEADER, target.sessionToken]]),
    fc.constant<Array<[string, string]>>([['Host', 'evil.example'], origin, [UI_TOKEN_HEADER, target.uiToken]]),
    fc.constant<Array<[string, string]>>([['Host', `127.0.0.1:${target.port + 1}`], origin, [UI_TOKEN_HEADER, target.uiToken]]),
    fc.constant<Array<[string, string]>>([host, host, origin, [UI_TOKEN_HEADER, target.uiToken]]),
    fc.constant<Array<[string, string]>>([origin, [UI_TOKEN_HEADER, target.uiToken]]),
  ).map((headers) => [...headers, JSON_TYPE]);
}

type RawTwist = (method: string, path: string, target: FuzzTarget) => string;

/** Request-level garbage: bad request lines, header syntax, framing conflicts, oversize heads. */
const rawTwist: fc.Arbitrary<RawTwist> = fc.oneof(
  fc.constantFrom<RawTwist>(
    (m, p, t) => `${m} ${p} HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\nContent-Length: 5\r\nContent-Length: 6\r\nContent-Type: application/json\r\n\r\n{}{}{}`,
    (m, p, t) => `${m} ${p} HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n0\r\n\r\n`,
    (m, p, t) => `${m} ${p} HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\nContent-Length: -1\r\n\r\n`,
    (m, p, t) => `${m} ${p} HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\nContent-Length: 99999999999999999999\r\n\r\n`,
    (m, p, t) => `${m} ${p} HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
    (m, p, t) => `${m} ${p} HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\nTransfer-Encoding: gzip, chunked\r\nContent-Type: application/json\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
    (m, p, t) => `${m} ${p} HTTP/1.0\r\nHost: 127.0.0.1:${t.port}\r\n\r\n`,
    (m, p, t) => `${m} ${p} HTTP/2.0\r\nHost: 127.0.0.1:${t.port}\r\n\r\n`,
    (m, p, t) => `${m} ${p} HTTP/1.1\nHost: 127.0.0.1:${t.port}\n\n`,
    (m, p, t) => `${m} ${p}\r\nHost: 127.0.0.1:${t.port}\r\n\r\n`,
    (m, p, t) => `${m}  ${p} HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\n\r\n`,
    (m, p, t) => `${m.toLowerCase()} ${p} HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\n\r\n`,
    (m, p, t) => `${m} http://127.0.0.1:${t.port}${p} HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\n\r\n`,
    (m, p, t) => `${m} http://evil.example${p} HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\n\r\n`,
    (m, p, t) => `${m} ${p} HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    (m, p, t) => `${m} ${p}?${'q'.repeat(20_000)} HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\n\r\n`,
    (m, p, t) => `${m} ${p} HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\n${'X-A: b\r\n'.repeat(3_000)}\r\n`,
    (m, p, t) => `${m} ${p} HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\nBad Header: x\r\n\r\n`,
    (m, p, t) => `${m} ${p} HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\n: empty-name\r\n\r\n`,
    (m, p, t) => `${m} ${p} HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\nX-Nul: a\0b\r\n\r\n`,
    (m, p, t) => `${m} ${p} HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\n folded: x\r\n\r\n`,
    (m, p, t) => `${m} ${p} HTTP/1.1\r\nHost:127.0.0.1:${t.port}\r\n\r\n`,
    (m, p, t) => `${m} ${p} HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\nExpect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`,
    (m, p, t) => `${m} ${p} HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\n\r\n`,
    (m, p) => `${m} ${p} HTTP/1.1\r\n\r\n`,
    (_m, p, t) => `CONNECT ${p} HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\n\r\n`,
    (_m, _p, t) => `GET /\0 HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\n\r\n`,
    () => 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
    () => '\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03',
  ),
  fc.tuple(fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('path', 'header', 'method')).map(
    ([junk, where]): RawTwist =>
      (m, p, t) => {
        const bytes = Buffer.from(junk, 'utf8').toString('latin1');
        if (where === 'path') return `${m} ${p}${bytes} HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\n\r\n`;
        if (where === 'header') return `${m} ${p} HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\nX-Junk: ${bytes}\r\n\r\n`;
        return `${bytes}${m} ${p} HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\n\r\n`;
      },
  ),
);

function wsQuery(target: FuzzTarget): fc.Arbitrary<string> {
  const value = fc.oneof(
    fc.constantFrom('', '0', '1', '-1', '1.5', 'abc', '1e30', 'NaN', 'Infinity', '0x10', '9'.repeat(400), '%00', '%zz', '>', '*', '*.*', ',,,', 'mcp.>', 'a.>.b', '>.x', 'system.command.*', '1', 'session,commandRun', 'x'.repeat(2_500)),
    nastyString.map((s) => encode(s.slice(0, 3000))),
  );
  const key = fc.constantFrom('since', 'types', 'kinds', 'actor', 'desktop', 'sessionToken', 'uiToken', 'unknown', '__proto__', 'since[]');
  const token = fc.constantFrom(`sessionToken=${encode(target.sessionToken)}`, `uiToken=${encode(target.uiToken)}`, 'sessionToken=nope', 'uiToken=', '');
  return fc.tuple(token, fc.array(fc.tuple(key, value), { maxLength: 4 })).map(([t, pairs]) => {
    const parts = [t, ...pairs.map(([k, v]) => `${k}=${v}`)].filter(Boolean);
    return parts.length > 0 ? `?${parts.join('&')}` : '';
  });
}

function wsHeaders(target: FuzzTarget): fc.Arbitrary<Array<[string, string]>> {
  const key = fc.oneof(fc.constant('dGhlIHNhbXBsZSBub25jZQ=='), fc.constantFrom('', 'short', '!!!!!!!!!!!!!!!!!!!!!!!!', 'dGhlIHNhbXBsZSBub25jZQ==dGhl'), fc.base64String({ maxLength: 40 }));
  const version = fc.constantFrom('13', '13', '8', '', 'x', '13, 8', '-1');
  const extensions = fc.constantFrom(null, 'permessage-deflate', 'permessage-deflate; client_max_window_bits', 'permessage-deflate; server_max_window_bits=7', 'permessage-deflate; server_max_window_bits=99', 'permessage-deflate; x=1', 'x-webkit-deflate-frame', ';;;');
  const protocol = fc.constantFrom(null, 'chat', '', ',,', 'a b');
  const origin = fc.constantFrom<string | null>(target.origin, target.origin, null, 'https://evil.example', 'null');
  const connection = fc.constantFrom('Upgrade', 'upgrade', 'keep-alive, Upgrade', 'close', '');
  const upgrade = fc.constantFrom('websocket', 'WebSocket', 'h2c', '', 'websocket, x');
  return fc.tuple(key, version, extensions, protocol, origin, connection, upgrade, fc.boolean()).map(([k, v, ext, proto, o, conn, up, withKey]) => {
    const headers: Array<[string, string]> = [
      ['Host', `127.0.0.1:${target.port}`],
      ['Upgrade', up],
      ['Connection', conn],
      ['Sec-WebSocket-Version', v],
    ];
    if (withKey) headers.push(['Sec-WebSocket-Key', k]);
    if (ext !== null) headers.push(['Sec-WebSocket-Extensions', ext]);
    if (proto !== null) headers.push(['Sec-WebSocket-Protocol', proto]);
    if (o !== null) headers.push(['Origin', o]);
    return headers;
  });
}

/** `Prefer` values for routes that honour `respond-async` (execute): held, async, and odd spellings. */
const preferArbitrary: fc.Arbitrary<string | null> = fc.oneof(
  fc.constant(null),
  fc.constantFrom('respond-async', 'RESPOND-ASYNC', 'respond-async, wait=5', 'wait=1;respond-async', 'return=minimal', ''),
  nastyString.map((value) => value.replace(/[\r\n\0]/g, '').slice(0, 200)),
);

/** Client messages the event socket reads (`prompt.resolve`), with lying and malformed fields. */
const promptResolveFrame: fc.Arbitrary<FrameAction> = fc
  .record(
    {
      type: fc.constantFrom('prompt.resolve', 'prompt.resolve', 'prompt.reject', ''),
      id: fc.oneof(fc.string({ maxLength: 20 }), nastyValue),
      promptId: fc.oneof(fc.constantFrom('prm_nonexistent', '__proto__', 'constructor', '..'), nastyString),
      decision: fc.oneof(fc.constantFrom('allow_once', 'allow_and_whitelist', 'reject'), nastyValue),
      ruleArgsPrefix: fc.oneof(nastyNumber, nastyValue),
    },
    { requiredKeys: ['type'] },
  )
  .map((message): FrameAction => ({ kind: 'text', data: JSON.stringify(message).slice(0, 100_000) }));

const frameArbitrary: fc.Arbitrary<FrameAction> = fc.oneof(
  promptResolveFrame,
  fc.oneof(nastyString, fc.json(), fc.constantFrom('{"type":"subscribe"}', '{"since":-1}', 'ping', '')).map((data): FrameAction => ({ kind: 'text', data: data.slice(0, 100_000) })),
  fc.uint8Array({ maxLength: 200 }).map((data): FrameAction => ({ kind: 'binary', data })),
  fc.tuple(fc.integer({ min: 60 * 1024, max: 200 * 1024 }), fc.boolean()).map(([bytes, binary]): FrameAction => ({ kind: 'huge', bytes, binary })),
  fc.constantFrom(new Uint8Array([0xff]), new Uint8Array([0xc0, 0x80]), new Uint8Array([0xed, 0xa0, 0x80]), new Uint8Array([0x61, 0xe2, 0x82])).map((data): FrameAction => ({ kind: 'invalid_utf8', data })),
  fc.uint8Array({ maxLength: 125 }).map((data): FrameAction => ({ kind: 'ping', data })),
  fc.array(fc.string({ maxLength: 20 }), { minLength: 2, maxLength: 4 }).map((parts): FrameAction => ({ kind: 'fragments', parts })),
);

/** A case as a person reads it: the HTTP request (body cut short) or the socket's script. */
export function describeCase(fuzzCase: FuzzCase): string {
  if ('ws' in fuzzCase) {
    const frames = fuzzCase.ws.frames.map((f) => {
      if (f.kind === 'huge') return `huge ${f.binary ? 'binary' : 'text'} frame of ${f.bytes} bytes`;
      if (f.kind === 'text') return `text ${JSON.stringify(f.data.slice(0, 200))}${f.data.length > 200 ? `… (${f.data.length} chars)` : ''}`;
      if (f.kind === 'fragments') return `fragments ${JSON.stringify(f.parts)}`;
      return `${f.kind} [${Buffer.from(f.data).toString('hex').slice(0, 80)}]`;
    });
    return `WebSocket ${fuzzCase.ws.path}${fuzzCase.ws.query.replace(/(Token=)[^&]+/g, '$1<token>')} (deflate ${fuzzCase.ws.perMessageDeflate})\n  ${frames.join('\n  ')}`;
  }
  const { request } = fuzzCase;
  const text = request.raw !== undefined ? (Buffer.isBuffer(request.raw) ? request.raw.toString('latin1') : request.raw) : renderRequest(request);
  const shown = text.length > 1500 ? `${text.slice(0, 1500)}… (${text.length} bytes in all)` : text;
  return `[${fuzzCase.category} · ${fuzzCase.routeId}]\n${JSON.stringify(shown).slice(1, -1).replace(/\\r\\n/g, '\n').replace(/\\n/g, '\n')}`;
}

function renderRequest(request: WireRequest): string {
  const head = [`${request.method} ${request.target} HTTP/1.1`, ...request.headers.map(([n, v]) => `${n}: ${v}`), ...(request.chunked ? ['Transfer-Encoding: chunked'] : [])];
  const body = request.body === undefined ? '' : Buffer.isBuffer(request.body) ? request.body.toString('latin1') : request.body;
  return `${head.join('\r\n')}\r\n\r\n${body}`;
}
