import { fromPromise } from 'xstate';
import type { Inhibitor } from '../../awake/inhibitor.js';
import { platformInhibitor } from '../../awake/platform-inhibitors.js';
import { buildChildEnv, createExecaRunner, type ProcessRunner, type RunningProcess } from '../../processes/index.js';
import { getLoginPath, type LoginPath } from '../../processes/login-path.js';
import type { BaseContext, CapabilityFactory, CapabilityModule } from '../service-context.js';
import { startAwakeService } from './awake-service.js';
import { inhibitorProcessActor } from './inhibitor-process.js';

export interface AwakeModuleDeps {
  /** Default: the configured command, else the platform's inhibitor. */
  inhibitor?: Inhibitor;
  /** Default: the real process runner. */
  runner?: ProcessRunner;
  /** Default: the user's login-shell PATH, read once per process. */
  loginPath?: () => Promise<LoginPath>;
}

/**
 * Awake locks: one actor per lock, one supervised inhibitor process while any is held. Tests
 * pass an in-memory inhibitor and process runner.
 */
export function createAwakeModule(deps: AwakeModuleDeps = {}): CapabilityFactory {
  return (base: BaseContext): CapabilityModule => {
    const settings = () => base.config.current.awake;
    const loginPath = deps.loginPath ?? (() => getLoginPath({ timeoutMs: base.config.current.system.loginShellTimeoutMs }));
    const inhibitor =
      deps.inhibitor ??
      platformInhibitor({
        searchPath: async () => (await loginPath()).path,
        bridgePid: process.pid,
        probeTimeoutMs: settings().probeTimeoutMs,
        ...(settings().inhibitorCommand ? { configured: settings().inhibitorCommand } : {}),
      });
    const runner = deps.runner ?? createExecaRunner();
    const live = new Set<RunningProcess>();

    return {
      name: 'awake',
      children: {
        inhibitor: {
          actors: {
            probe: fromPromise(() => inhibitor.probe()),
            inhibitorProcess: inhibitorProcessActor({
              inhibitor,
              runner,
              live,
              killGraceMs: () => settings().killGraceMs,
              env: async () => buildChildEnv({ inherited: process.env, loginPath: (await loginPath()).path, secrets: [] }),
            }),
          },
        },
      },
      start(ctx) {
        const service = startAwakeService(ctx, { inhibitorName: inhibitor.name });
        return {
          async stop() {
            await service.stop();
            // The actors are stopped with the bridge; make sure their processes are gone too.
            await Promise.all([...live].map((process) => process.kill(settings().killGraceMs)));
          },
        };
      },
    };
  };
}

/** The awake capability as the bridge registers it. */
export const awakeCapability: CapabilityFactory = createAwakeModule();

