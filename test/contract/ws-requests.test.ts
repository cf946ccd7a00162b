import { describe, expect, it } from 'vitest';
import { ROUTE_LIST, ROUTES } from '../../src/contract/routes/index.js';
import { SOCKET_ROUTES } from '../../src/contract/ws-requests.js';

describe('routes callable on the event socket', () => {
  it('are contract routes themselves, by their own ids (no second route table)', () => {
    for (const [id, route] of SOCKET_ROUTES) {
      expect(route.id).toBe(id);
      expect(ROUTE_LIST).toContain(route);
    }
  });

  it('include the MCP call and resource read', () => {
    expect([...SOCKET_ROUTES.keys()].sort()).toEqual([ROUTES.mcpCall.id, ROUTES.mcpResourcesRead.id].sort());
  });

  it('never include prompt answers, UI-token routes, the session routes or job routes', () => {
    const never = [ROUTES.systemPermissionsPromptsResolve, ROUTES.uiPickersResolve, ROUTES.sessionHandshake, ROUTES.sessionRefresh, ROUTES.systemCommandsExecute];
    for (const route of never) expect(SOCKET_ROUTES.has(route.id)).toBe(false);
    for (const route of SOCKET_ROUTES.values()) {
      expect(route.auth === 'ui' || route.auth === 'none').toBe(false);
      expect(route.refusals).toBeUndefined();
      expect(route.preferAsync).toBeUndefined();
    }
  });

  it('take everything in their body: a request frame has no params or query', () => {
    for (const route of SOCKET_ROUTES.values()) {
      expect(route.params).toBeUndefined();
      expect(route.query).toBeUndefined();
    }
  });
});
