import { describe, expectTypeOf, it } from 'vitest';
import type { BridgeApi, BridgeEvent, RouteOptionsOf } from '../../src/client/index.js';

describe('typed API derived from ROUTES', () => {
  it('lets a route without params, query or body be called with no argument', () => {
    expectTypeOf<BridgeApi['bridgeInfo']>().toBeCallableWith();
    expectTypeOf<BridgeApi['bridgeInfo']>().returns.resolves.toHaveProperty('bridgeId').toEqualTypeOf<string>();
    expectTypeOf<Awaited<ReturnType<BridgeApi['bridgeInfo']>>['protocolVersion']>().toEqualTypeOf<'osloop.bridge.v1'>();
  });

  it('requires path params where the route declares them', () => {
    expectTypeOf<RouteOptionsOf<'systemCommandsRunsGet'>>().toHaveProperty('params').toEqualTypeOf<{ runId: string }>();
    expectTypeOf<BridgeApi['systemCommandsRunsGet']>().toBeCallableWith({ params: { runId: 'run_1' } });
    // @ts-expect-error params are required
    expectTypeOf<BridgeApi['systemCommandsRunsGet']>().toBeCallableWith();
    // @ts-expect-error a route without params takes none
    expectTypeOf<BridgeApi['bridgeInfo']>().toBeCallableWith({ params: { runId: 'x' } });
  });

  it('types the body of a POST route and its reply', () => {
    type Execute = BridgeApi['systemCommandsExecute'];
    expectTypeOf<Parameters<Execute>[0]>().toHaveProperty('body');
    expectTypeOf<Awaited<ReturnType<Execute>>>().toHaveProperty('runId').toEqualTypeOf<string>();
    // @ts-expect-error the body is required
    expectTypeOf<Execute>().toBeCallableWith();
  });

  it('takes execute in the web app\'s flat shape and answers in its accepted shape', () => {
    type Execute = BridgeApi['systemCommandsExecute'];
    expectTypeOf<Execute>().toBeCallableWith({
      body: { command: 'echo', args: ['x'], commandTemplate: 'echo', argsTemplate: ['x'], workingDirectory: null, requestId: 'req-1', context: { skillId: 's' } },
      respondAsync: true,
    });
    type Reply = Awaited<ReturnType<Execute>>;
    expectTypeOf<Reply['accepted']>().toEqualTypeOf<true>();
    expectTypeOf<Reply['decision']['source']>().toEqualTypeOf<'whitelist' | 'user' | 'pending'>();
    expectTypeOf<Reply['recoveryHint']>().toEqualTypeOf<'bridge_restart' | 'timeout' | 'spawn_failure' | null>();
  });

  it('types coerced query values by what they parse to', () => {
    type Query = NonNullable<RouteOptionsOf<'systemCommandsRunsList'>['query']>;
    expectTypeOf<Query['limit']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<BridgeApi['systemCommandsRunsList']>().toBeCallableWith({ query: { state: ['running'], limit: 10 } });
  });

  it('leaves the session routes to handshake() and refresh()', () => {
    expectTypeOf<BridgeApi>().not.toHaveProperty('sessionHandshake');
    expectTypeOf<BridgeApi>().not.toHaveProperty('sessionRefresh');
    expectTypeOf<BridgeApi>().toHaveProperty('health');
  });

  it('narrows event data by type', () => {
    const narrow = (event: BridgeEvent) => (event.type === 'session.refreshed' ? event.data.expiresAt : null);
    expectTypeOf(narrow).returns.toEqualTypeOf<string | null>();
  });
});
