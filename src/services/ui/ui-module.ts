import { ROUTES } from '../../contract/routes/index.js';
import { serveRoute } from '../serve-route.js';
import type { CapabilityFactory, RunningService } from '../service-context.js';
import { startControlChannel } from './control-channel.js';
import { describeAllMachines } from './machine-definitions.js';
import { startSessionsService } from './sessions-service.js';
import { startSettingsService } from './settings-service.js';

/**
 * The local UI's own services: settings, the machine definitions the inspector draws, and the
 * control channel the CLI (`osloop://` URLs) reaches the bridge through even when it is not bound.
 */
export const createUiModule: CapabilityFactory = () => ({
  name: 'ui',
  async start(ctx) {
    // Described at the inspector's first request, not at every start (issue 15, cold start).
    let machines: ReturnType<typeof describeAllMachines> | undefined;
    const machinesRoute = serveRoute(ctx.bus, ctx.subjects, ROUTES.uiMachines, () => ({ machines: (machines ??= describeAllMachines()) }));
    const services: RunningService[] = [
      startSettingsService(ctx),
      startSessionsService(ctx),
      { stop: () => machinesRoute.unsubscribe() },
      await startControlChannel(ctx),
    ];
    // The tray is the desktop shell's; the bridge keeps the setting and announces its changes.
    ctx.capabilities.set('tray_mode', { available: true });
    return {
      async stop() {
        for (const service of services.reverse()) await service.stop();
      },
    };
  },
});
