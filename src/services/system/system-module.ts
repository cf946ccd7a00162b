import { fromPromise } from 'xstate';
import type { ToolInstallContext } from '../../../machines/toolInstall.machine.js';
import type { Recipe, ToolStatus } from '../../contract/routes/system.js';
import { locateTool } from '../../system/locate.js';
import { getLoginPath, withLoginPath, type LoginPath } from '../../processes/login-path.js';
import { loadCatalogue, RECIPES } from '../../system/recipes.js';
import { openDatabase } from '../../storage/database.js';
import { InstallJobsRepository, type StoredInstallJob } from '../../storage/install-jobs-repository.js';
import type { JobEvent } from '../../contract/routes/jobs.js';
import type { BaseContext, CapabilityFactory, CapabilityModule } from '../service-context.js';
import { InstallGrants } from './install-grants.js';
import { InstallJobs } from './install-jobs.js';
import { installPermissionActor } from './install-permission.js';
import { installStepActor } from './install-step.js';
import { startInstallService } from './install-service.js';
import { startSystemService, type SystemCatalog } from './system-service.js';

export interface SystemModuleDeps {
  /** Default: the user's login-shell PATH, read once per process. */
  loginPath?: () => Promise<LoginPath>;
}

/** System info, tools, locate, the install recipes, and tool installs (one job, one prompt, its steps as command runs). */
export function createSystemModule(deps: SystemModuleDeps = {}): CapabilityFactory {
  return async (base: BaseContext): Promise<CapabilityModule> => {
    const { bus, subjects, config, logger } = base;
    const loginPath = deps.loginPath ?? (() => getLoginPath({ timeoutMs: config.current.system.loginShellTimeoutMs }));
    const recipes: Recipe[] = await loadCatalogue(config.current.system.recipesFile).catch((error: unknown) => {
      logger.error({ err: error }, 'the extra recipe catalogue is not used');
      return [...RECIPES];
    });
    // Set once the service runs; installs only end after that.
    let catalog: SystemCatalog | undefined;
    const grants = new InstallGrants();
    // Install jobs outlive the process (requestIds, lookups): the bridge's one database, on a connection of its own.
    const db = openDatabase(base.paths.databaseFile);
    const jobs = new InstallJobs(new InstallJobsRepository(db), () => config.current.requestIdRetentionMs, () => base.clock.now());

    return {
      name: 'system',
      children: {
        toolInstall: {
          actors: {
            askPermission: installPermissionActor({ bus, subjects }),
            installStep: installStepActor({ bus, subjects, grants }),
            locateTool: fromPromise<ToolStatus, { tool: string; binary: string }>(async ({ input }) => {
              const path = await loginPath();
              const found = await locateTool(input.binary, { searchPath: path.path, env: withLoginPath(process.env, path), timeoutMs: config.current.system.probeTimeoutMs });
              return { ...found, name: input.tool };
            }),
          },
          actions: {
            revokeGrants: ({ context }) => grants.revokeInstall((context as ToolInstallContext).installId),
            refreshInventory: ({ context }) => {
              const { tool, located, startedAt } = context as ToolInstallContext;
              // A completed install changed its own tool: that one was located again, not all of
              // them. A failed one may have changed anything, and one that never ran nothing.
              const refreshed = located ? catalog?.inventoryWith(located) : catalog?.inventory(startedAt !== null);
              // An install interrupted by the bridge stopping ends after the bus closed: nothing to tell.
              void refreshed
                ?.then(({ tools }) => bus.publish(subjects.event('system.tools.inventory_updated'), { tools, cause: 'install' }))
                .catch((error: unknown) => logger.debug({ err: error, tool }, 'the tool inventory was not refreshed after an install'));
            },
          },
        },
      },
      start(ctx) {
        // Whatever was live belonged to a bridge process that is gone: say so, once.
        for (const job of jobs.interruptLive({ close: false })) bus.publish(subjects.event('bridge.job.updated'), jobEventOf(job));
        const system = startSystemService(ctx, { loginPath, recipes });
        catalog = system.catalog;
        const install = startInstallService(ctx, { catalog: system.catalog, recipes, jobs });
        const redeeming = grants.serve(bus, subjects);
        return {
          stop() {
            redeeming.unsubscribe();
            install.stop();
            system.stop();
            jobs.interruptLive({ close: true });
            db.close();
          },
        };
      },
    };
  };
}

/** The system capability as the bridge registers it. */
export const systemCapability: CapabilityFactory = createSystemModule();

/** A stored install's job event, as the machine's `installJob` builds it. */
function jobEventOf({ toolId, details }: StoredInstallJob): JobEvent {
  return {
    runId: details.runId,
    requestId: details.requestId,
    kind: 'install',
    status: details.status,
    summary: { command: details.template.command, toolId },
    recoveryHint: details.recoveryHint,
    context: details.context,
    exitCode: details.exitCode,
    errorCode: details.errorCode,
  };
}
