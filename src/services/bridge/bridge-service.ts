import os from 'node:os';
import { PROTOCOL_VERSION } from '../../contract/constants.js';
import { ROUTES } from '../../contract/routes/index.js';
import { runtimeView } from '../../../machines/bridge.machine.js';
import { serveRoute } from '../serve-route.js';
import type { RunningService, ServiceContext } from '../service-context.js';

/** Health, identity, capabilities, runtime settings and the actor list: the bridge describing itself. */
export function startBridgeService(ctx: ServiceContext): RunningService {
  const { bus, subjects, runtime, capabilities } = ctx;
  const bridgeSnapshot = () => runtime.root.getSnapshot();

  // What bridge/info says that never changes while the process lives, built once, not per call.
  const staticInfo = {
    bridgeId: ctx.bridgeId,
    name: 'osloop-bridge' as const,
    version: ctx.version,
    protocolVersion: PROTOCOL_VERSION,
    platform: process.platform,
    arch: os.arch(),
    pid: process.pid,
    startedAt: new Date(ctx.startedAt).toISOString(),
    // The actor bus is always in-process; a fleet is an edge in front of it (docs/fleet.md).
    bus: { kind: 'embedded' as const },
  };
  const subscriptions = [
    serveRoute(bus, subjects, ROUTES.health, () => {
      const { context } = bridgeSnapshot();
      return {
        status: 'ok' as const,
        protocolVersion: PROTOCOL_VERSION,
        bridgeVersion: ctx.version,
        port: context.activePort ?? context.configuredPort,
        capabilitiesCount: capabilities.list().length,
      };
    }),
    // Field by field rather than a spread of staticInfo: one object of a fixed shape per call.
    serveRoute(bus, subjects, ROUTES.bridgeInfo, () => ({
      bridgeId: staticInfo.bridgeId,
      name: staticInfo.name,
      version: staticInfo.version,
      protocolVersion: staticInfo.protocolVersion,
      platform: staticInfo.platform,
      arch: staticInfo.arch,
      pid: staticInfo.pid,
      startedAt: staticInfo.startedAt,
      uptimeMs: Math.max(0, Math.round(ctx.clock.now() - ctx.startedAt)),
      bus: staticInfo.bus,
    })),
    serveRoute(bus, subjects, ROUTES.capabilities, () => ({ capabilities: capabilities.list() })),
    serveRoute(bus, subjects, ROUTES.bridgeRuntime, () => {
      const snapshot = bridgeSnapshot();
      return runtimeView(snapshot.context, snapshot.value);
    }),
    serveRoute(bus, subjects, ROUTES.uiActors, () => ({
      actors: runtime.list().map(({ kind, actorId, parentId, state, status, context }) => ({
        kind,
        actorId,
        parentId,
        state,
        status: status as 'active' | 'done' | 'error' | 'stopped',
        context,
      })),
    })),
    serveRoute(bus, subjects, ROUTES.uiStatus, () => {
      const snapshot = bridgeSnapshot();
      return {
        ...runtimeView(snapshot.context, snapshot.value),
        bridgeId: ctx.bridgeId,
        version: ctx.version,
        uptimeMs: Math.round(ctx.clock.now() - ctx.startedAt),
        actors: runtime.counts(),
      };
    }),
    bus.serve(subjects.internal('listener.retry'), () => {
      runtime.root.send({ type: 'listener.retry' });
      return { accepted: true };
    }),
  ];
  capabilities.set('health', { available: true });
  capabilities.set('version', { available: true });

  return {
    stop() {
      for (const subscription of subscriptions) subscription.unsubscribe();
    },
  };
}
