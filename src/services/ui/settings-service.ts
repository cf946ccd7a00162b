import type { BridgeConfig, BridgeConfigInput } from '../../config/config-schema.js';
import { ROUTES } from '../../contract/routes/index.js';
import type { SettingsPatch, SettingsView } from '../../contract/routes/ui.js';
import { serveRoute } from '../serve-route.js';
import type { LaunchOverrides, RunningService, ServiceContext } from '../service-context.js';

const NO_OVERRIDES: LaunchOverrides = { portFromCommandLine: false, dev: false, allowOrigins: [] };

/**
 * Every origin the running bridge lets in, with what allowed it: the same sources, in the same
 * order, as the origin check (`src/http/security/origin.ts`) reads them.
 */
export function effectiveOrigins(config: BridgeConfig, runningPort: number, launch: LaunchOverrides): SettingsView['effectiveOrigins'] {
  const list: SettingsView['effectiveOrigins'] = [
    ...config.allowedOrigins.map((origin) => ({ origin, source: 'settings' as const })),
    ...launch.allowOrigins.map((origin) => ({ origin, source: 'command_line' as const })),
    ...[`http://127.0.0.1:${runningPort}`, `http://localhost:${runningPort}`, `http://[::1]:${runningPort}`].map((origin) => ({ origin, source: 'bridge_ui' as const })),
  ];
  if (launch.dev) list.push({ origin: 'http://localhost:*', source: 'dev_mode' }, { origin: 'http://127.0.0.1:*', source: 'dev_mode' });
  return list;
}

/** The config as the settings page shows it, next to the port this process really uses. */
export function settingsView(config: BridgeConfig, runningPort: number, launch: LaunchOverrides = NO_OVERRIDES): SettingsView {
  return {
    port: config.port,
    runningPort,
    restartRequired: config.port !== runningPort,
    trayMode: config.trayMode,
    allowedOrigins: config.allowedOrigins,
    promptTimeoutMs: config.promptTimeoutMs,
    defaultCommandTimeoutMs: config.defaultCommandTimeoutMs,
    denyList: config.denyList,
    approvalsLocalOnly: config.approvals.localOnly,
    approvalsChosenAt: config.approvals.chosenAt,
    fleetOrchestrators: config.nats.orchestrators.map((o) => o.key),
    portFromCommandLine: launch.portFromCommandLine,
    devMode: launch.dev,
    effectiveOrigins: effectiveOrigins(config, runningPort, launch),
  };
}

/** Maps the page's flat patch onto the config file's shape. */
export function configPatch(patch: SettingsPatch, current: BridgeConfig): Partial<BridgeConfigInput> {
  const { approvalsLocalOnly, fleetOrchestrators, ...flat } = patch;
  const out: Partial<BridgeConfigInput> = Object.fromEntries(Object.entries(flat).filter(([, v]) => v !== undefined));
  // Saving the setting is the user's choice of who may answer prompts: it is recorded once made.
  if (fleetOrchestrators !== undefined) {
    // Keys already paired keep their label and pairing time; new ones are paired now.
    const known = new Map(current.nats.orchestrators.map((o) => [o.key, o]));
    const orchestrators = [...new Set(fleetOrchestrators)].map((key) => known.get(key) ?? { key, label: null, pairedAt: new Date().toISOString() });
    out.nats = { ...current.nats, orchestrators };
  }
  if (approvalsLocalOnly !== undefined) out.approvals = { ...current.approvals, localOnly: approvalsLocalOnly, chosenAt: current.approvals.chosenAt ?? new Date().toISOString() };
  return out;
}

/**
 * `GET/PATCH /api/v1/ui/settings`. A change is validated and saved atomically through the config
 * store (bad input changes nothing); runtime settings also go to the bridge actor, which
 * publishes `bridge.runtime.updated`. The port is saved for the next start and never applied live.
 */
export function startSettingsService(ctx: ServiceContext): RunningService {
  const { bus, subjects, config, runtime } = ctx;
  const runningPort = () => runtime.root.getSnapshot().context.configuredPort;
  const launch = ctx.launch ?? NO_OVERRIDES;

  const subscriptions = [
    serveRoute(bus, subjects, ROUTES.uiSettingsGet, () => settingsView(config.current, runningPort(), launch)),
    serveRoute(bus, subjects, ROUTES.uiSettingsUpdate, async ({ body }) => {
      const saved = await config.update(configPatch(body, config.current));
      const live = {
        ...(body.trayMode !== undefined ? { trayMode: saved.trayMode } : {}),
        ...(body.promptTimeoutMs !== undefined ? { promptTimeoutMs: saved.promptTimeoutMs } : {}),
        ...(body.defaultCommandTimeoutMs !== undefined ? { defaultCommandTimeoutMs: saved.defaultCommandTimeoutMs } : {}),
      };
      if (Object.keys(live).length > 0) runtime.root.send({ type: 'settings.update', settings: live });
      return settingsView(saved, runningPort(), launch);
    }),
  ];
  return {
    stop() {
      for (const subscription of subscriptions) subscription.unsubscribe();
    },
  };
}
