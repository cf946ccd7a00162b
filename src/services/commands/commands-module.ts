import { readFileSync } from 'node:fs';
import { createExecaRunner } from '../../processes/execa-runner.js';
import { ChildEnvironments } from '../../processes/child-env.js';
import { resolveLoginPath, userLoginShell } from '../../processes/login-path.js';
import type { ProcessRunner } from '../../processes/process-runner.js';
import { isoAt } from '../../runtime/clock.js';
import { openDatabase } from '../../storage/database.js';
import { RunsRepository } from '../../storage/runs-repository.js';
import { startPermissionAuthority } from '../permissions/permission-authority.js';
import { startPermissionRoutes } from '../permissions/permission-routes.js';
import { PermissionStore } from '../permissions/permission-store.js';
import { promptEffects } from '../permissions/prompt-effects.js';
import type { CapabilityFactory, RunningService } from '../service-context.js';
import { startCommandsService } from './commands-service.js';
import { jobEventOfSummary } from './job-reply.js';
import { runEffects } from './run-effects.js';
import { RunOutputs } from './run-outputs.js';
import { RunSlots } from './run-slots.js';

export interface CommandPermissionsOptions {
  /** The process runner; execa by default. Tests of the services pass the in-memory twin. */
  runner?: ProcessRunner;
  /** The PATH commands resolve on; the user's login-shell PATH by default. */
  searchPath?: () => Promise<string>;
}

/**
 * Command runs and the permission authority, as one capability: they share the SQLite database
 * (runs, prompts, decisions, rules) and the authority is what every run asks first.
 */
export function commandPermissionsModule(options: CommandPermissionsOptions = {}): CapabilityFactory {
  return (base) => {
    const { bus, subjects, config, clock, paths } = base;
    const db = openDatabase(paths.databaseFile);
    const store = new PermissionStore(db);
    const runs = new RunsRepository(db);
    const runner = options.runner ?? createExecaRunner({ strayGraceMs: () => config.current.killGraceMs });
    let searchPath: Promise<string> | undefined;
    const stopping = new AbortController();
    const resolveSearchPath =
      options.searchPath ??
      (() =>
        (searchPath ??=
          config.current.commandPath === 'login_shell' ? resolveLoginPath({ signal: stopping.signal }) : Promise.resolve(process.env.PATH ?? '')));
    const outputs = new RunOutputs({
      bus,
      subjects,
      bufferBytes: () => config.current.outputBufferBytes,
      retainedBytes: () => config.current.retainedOutputBytes,
    });
    const slots = new RunSlots(() => config.current);
    const uiToken = readSecret(paths.uiTokenFile);
    // Taken as the bridge starts: what its children inherit (see ChildEnvironments).
    const environments = new ChildEnvironments(process.env);

    return {
      name: 'command_permissions',
      children: {
        commandRun: runEffects({
          bus,
          subjects,
          config,
          clock,
          runner,
          runs,
          outputs,
          slots,
          searchPath: resolveSearchPath,
          loginShell: userLoginShell(),
          secrets: () => (uiToken ? [uiToken] : []),
          environments,
        }),
        permissionPrompt: promptEffects({ bus, subjects, store }),
      },
      start(ctx) {
        // Whatever was live belonged to a bridge process that is gone: say so, once.
        const now = isoAt(clock.now());
        for (const run of runs.interruptLive(now)) {
          bus.publish(subjects.event('system.command.failed'), run);
          if (run.kind === 'command') bus.publish(subjects.event('bridge.job.updated'), jobEventOfSummary(run));
        }
        store.prompts.cancelPending(now);

        const services: RunningService[] = [
          startPermissionAuthority(ctx, { store, searchPath: resolveSearchPath }),
          startPermissionRoutes(ctx, store),
          startCommandsService(ctx, { runs, outputs, slots }),
        ];
        ctx.capabilities.set('command_permissions', { available: true });
        return {
          async stop() {
            stopping.abort();
            slots.close();
            for (const service of services) await service.stop();
            await runner.killAll(config.current.killGraceMs);
            const at = isoAt(clock.now());
            runs.interruptLive(at);
            store.prompts.cancelPending(at);
            db.close();
          },
        };
      },
    };
  };
}

function readSecret(file: string): string | null {
  try {
    return readFileSync(file, 'utf8').trim() || null;
  } catch {
    return null;
  }
}
