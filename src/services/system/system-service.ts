import { BridgeError } from '../../contract/errors.js';
import { platformSchema, type SystemInfo } from '../../contract/routes/system.js';
import { ROUTES } from '../../contract/routes/index.js';
import { isoAt } from '../../runtime/clock.js';
import { Cached } from '../../system/cached.js';
import { knownTools } from '../../system/known-tools.js';
import { findExecutable, locateTool } from '../../system/locate.js';
import { withLoginPath, type LoginPath } from '../../processes/login-path.js';
import type { LocatedTool, Recipe, ToolStatus } from '../../contract/routes/system.js';
import { assumedElevation, elevationFor, findRecipe, resolveRecipe, type ResolveTarget } from '../../system/recipes.js';
import { detectSystemInfo, detectTools, type DetectionDeps } from '../../system/system-info.js';
import { serveRoute } from '../serve-route.js';
import type { RunningService, ServiceContext } from '../service-context.js';

export type ToolInventory = { tools: Awaited<ReturnType<typeof detectTools>>; detectedAt: string };

/** What the install service reuses: the cached inventory and recipe resolution for this machine. */
export interface SystemCatalog {
  info(refresh?: boolean): Promise<SystemInfo>;
  inventory(refresh?: boolean): Promise<ToolInventory>;
  /**
   * The inventory once `tool` changed (an install): that entry replaced in the cached inventory,
   * or a full detection when there is none yet.
   */
  inventoryWith(tool: ToolStatus): Promise<ToolInventory>;
  resolveTarget(platform?: string): Promise<ResolveTarget | { unsupported: string }>;
  loginPath(): Promise<LoginPath>;
}

/**
 * System info, known tools, locate, and the install recipes. Detection is concurrent with a
 * short timeout per probe and cached until a request asks for `refresh=true`.
 */
export function startSystemService(
  ctx: ServiceContext,
  options: { loginPath: () => Promise<LoginPath>; recipes: readonly Recipe[] },
): RunningService & { catalog: SystemCatalog } {
  const { bus, subjects, clock, config, capabilities } = ctx;
  const deps = (): DetectionDeps => ({ loginPath: options.loginPath, probeTimeoutMs: config.current.system.probeTimeoutMs, now: () => clock.now() });
  const info = new Cached(() => detectSystemInfo(deps()));
  const inventory = new Cached(async (): Promise<ToolInventory> => ({ tools: await detectTools(knownTools(options.recipes), deps()), detectedAt: isoAt(clock.now()) }));
  // Warm the login-shell PATH now: reading it can take seconds when rc files load nvm or pyenv.
  void options.loginPath();

  const catalog: SystemCatalog = {
    info: (refresh = false) => info.get(refresh),
    inventory: (refresh = false) => inventory.get(refresh),
    async inventoryWith(tool) {
      const cached = await inventory.peek()?.catch(() => undefined);
      if (!cached) return inventory.get(true);
      const tools = cached.tools.map((known) => (known.name === tool.name ? { ...known, ...tool } : known));
      const updated = { tools, detectedAt: isoAt(clock.now()) };
      inventory.set(updated);
      return updated;
    },
    loginPath: options.loginPath,
    async resolveTarget(requested) {
      const platform = platformSchema.safeParse(requested ?? process.platform);
      if (!platform.success) return { unsupported: `The catalogue has recipes for linux, darwin and win32 only, not ${requested ?? process.platform}.` };
      if (platform.data !== process.platform) return { platform: platform.data, packageManagers: null, elevation: assumedElevation(platform.data) };
      const [current, searchPath] = [await info.get(), (await options.loginPath()).path];
      const [sudo, pkexec] = await Promise.all([findExecutable('sudo', searchPath), findExecutable('pkexec', searchPath)]);
      const elevation = elevationFor({
        platform: platform.data,
        isRoot: process.getuid?.() === 0,
        hasDisplay: Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY),
        has: (name) => (name === 'sudo' ? sudo : name === 'pkexec' ? pkexec : null) !== null,
      });
      return { platform: platform.data, packageManagers: new Set(current.packageManagers.map((pm) => pm.name)), elevation };
    },
  };

  const subscriptions = [
    serveRoute(bus, subjects, ROUTES.systemInfo, ({ query }) => info.get(query.refresh)),

    serveRoute(bus, subjects, ROUTES.systemToolsList, async ({ query }) => {
      const current = await inventory.get(query.refresh);
      if (query.refresh) bus.publish(subjects.event('system.tools.inventory_updated'), { tools: current.tools, cause: 'refresh' });
      return current;
    }),

    serveRoute(bus, subjects, ROUTES.systemToolsLocate, async ({ body }) => {
      const loginPath = await options.loginPath();
      const env = withLoginPath(process.env, loginPath);
      const timeoutMs = config.current.system.probeTimeoutMs;
      const deadline = Date.now() + timeoutMs;
      const tools = await Promise.all(
        body.names.map(async (id): Promise<LocatedTool> => {
          // A catalogue id names its executable (claude-code is `claude`); any other name is one.
          const found = await locateTool(findRecipe(id, options.recipes)?.binary ?? id, { searchPath: loginPath.path, env, timeoutMs, deadline });
          return { id, status: found.installed ? 'installed' : 'missing', version: found.version, path: found.path };
        }),
      );
      return { tools };
    }),

    serveRoute(bus, subjects, ROUTES.systemToolsRecipesList, () => ({ recipes: [...options.recipes] })),

    serveRoute(bus, subjects, ROUTES.systemToolsRecipesResolve, async ({ body }) => {
      const toolId = (body.toolId ?? body.tool)!; // the body schema lets exactly one through
      const recipe = findRecipe(toolId, options.recipes);
      if (!recipe) throw new BridgeError('not_found', `The catalogue has no recipe for ${toolId}.`, { details: { tools: options.recipes.map((r) => r.tool) } });
      const target = await catalog.resolveTarget(body.platform);
      if ('unsupported' in target) return { status: 'unsupported' as const, tool: recipe.tool, reason: target.unsupported };
      return resolveRecipe(recipe, target, body.packageManager !== undefined ? { packageManager: body.packageManager } : {});
    }),
  ];
  for (const id of ['system_info', 'system_tools', 'tool_install_recipes'] as const) capabilities.set(id, { available: true });

  return {
    catalog,
    stop() {
      for (const subscription of subscriptions) subscription.unsubscribe();
    },
  };
}
