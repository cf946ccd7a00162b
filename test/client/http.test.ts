import { describe, expect, it } from 'vitest';
import { BridgeClientError } from '../../src/client/errors.js';
import { errorFromReply } from '../../src/client/errors.js';
import { buildRouteUrl, credentialHeaders, encodeQuery, fillPath } from '../../src/client/http.js';
import { ROUTES } from '../../src/contract/routes/index.js';

describe('URL building', () => {
  it('joins the base URL and the route path, ignoring trailing slashes', () => {
    expect(buildRouteUrl('http://127.0.0.1:47832/', ROUTES.bridgeInfo)).toBe('http://127.0.0.1:47832/api/v1/bridge/info');
  });

  it.each([
    ['run_1', 'run_1'],
    ['a/b', 'a%2Fb'],
    ['../../etc', '..%2F..%2Fetc'],
    ['x?y#z', 'x%3Fy%23z'],
    ['é 1', '%C3%A9%201'],
    ['%2F', '%252F'],
  ])('encodes the path parameter %j as %j', (value, encoded) => {
    expect(fillPath('/api/v1/system/commands/runs/:runId', { runId: value })).toBe(`/api/v1/system/commands/runs/${encoded}`);
  });

  it('names the missing path parameter and the value received', () => {
    expect(() => fillPath('/runs/:runId/terminate', {})).toThrow(/Missing path parameter "runId" for \/runs\/:runId\/terminate; received undefined/);
    expect(() => fillPath('/runs/:runId', { runId: '' })).toThrow(/received ""/);
  });

  it.each(['.', '..'])('refuses %j as a path parameter, which URL parsing would resolve away', (value) => {
    expect(() => fillPath('/runs/:runId', { runId: value })).toThrow(/cannot be/);
  });

  it('encodes query arrays as repeated keys and skips undefined values', () => {
    expect(encodeQuery({ state: ['running', 'completed'], limit: 10, cursor: undefined, flag: false })).toBe('?state=running&state=completed&limit=10&flag=false');
    expect(encodeQuery({})).toBe('');
    expect(encodeQuery({ q: 'a b&c' })).toBe('?q=a+b%26c');
  });

  it('refuses a query value it cannot express', () => {
    expect(() => encodeQuery({ filter: { a: 1 } })).toThrow(/Query parameter "filter" .* received \{"a":1\}/);
  });

  it('builds a full URL with params and query', () => {
    expect(buildRouteUrl('http://localhost:1', ROUTES.systemCommandsRunsGet, { params: { runId: 'r 1' }, query: { waitMs: 100 } })).toBe(
      'http://localhost:1/api/v1/system/commands/runs/r%201?waitMs=100',
    );
  });
});

describe('credential headers', () => {
  const both = { sessionToken: 's', uiToken: 'u' };
  it.each([
    ['none', {}],
    ['session', { 'x-osloop-bridge-token': 's' }],
    ['ui', { 'x-osloop-ui-token': 'u' }],
    ['session_or_ui', { 'x-osloop-bridge-token': 's', 'x-osloop-ui-token': 'u' }],
  ] as const)('sends what a %s route needs', (auth, expected) => {
    expect(credentialHeaders(auth, both)).toEqual(expected);
  });
});

describe('error replies', () => {
  it('reads the contract error body', () => {
    const error = errorFromReply(401, JSON.stringify({ error: { code: 'unauthorized', message: 'The session has expired.', details: { reason: 'expired' } } }));
    expect(error).toBeInstanceOf(BridgeClientError);
    expect(error).toMatchObject({ code: 'unauthorized', status: 401, message: 'The session has expired.', details: { reason: 'expired' } });
  });

  it.each([
    [404, '<html>not found</html>', 'not_found'],
    [502, '', 'upstream_error'],
    [500, 'oops', 'internal'],
    [418, '{"error":{"code":"no_such_code","message":"x"}}', 'invalid_request'],
  ])('maps a %i without a contract body to a code by its status', (status, body, code) => {
    const error = errorFromReply(status, body);
    expect(error).toMatchObject({ code, status });
    expect(error.details).toEqual({ body });
  });
});
