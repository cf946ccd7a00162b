import { ROUTES } from '../contract/routes/index.js';
import { serveRoute } from '../services/serve-route.js';
import type { CapabilityFactory } from '../services/service-context.js';

/**
 * Serves pairing on a running bridge (`GET`/`POST`/`DELETE /api/v1/ui/fleet/orchestrators`), with or
 * without a fleet configured: one pairs before joining. The change goes through the config store,
 * which the fleet edge reads on every request, so it applies at once, like the Settings page's.
 * The pairing code (and nkeys, for the key checksum) is imported at the first call, so a bridge
 * that never pairs never loads it.
 */
export const fleetPairingModule: CapabilityFactory = () => ({
  name: 'fleet-pairing',
  start(ctx) {
    const pairing = () => import('./pairing.js');
    const subscriptions = [
      serveRoute(ctx.bus, ctx.subjects, ROUTES.uiFleetList, () => ({ orchestrators: ctx.config.current.nats.orchestrators })),
      serveRoute(ctx.bus, ctx.subjects, ROUTES.uiFleetPair, async ({ body }) => ({
        orchestrators: await (await pairing()).pairOrchestrator(ctx.config, body.key, body.label),
      })),
      serveRoute(ctx.bus, ctx.subjects, ROUTES.uiFleetUnpair, async ({ params }) => ({
        orchestrators: await (await pairing()).unpairOrchestrator(ctx.config, params.key),
      })),
    ];
    return {
      stop() {
        for (const subscription of subscriptions) subscription.unsubscribe();
      },
    };
  },
});
