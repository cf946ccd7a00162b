import { fromPromise } from 'xstate';
import type { NativeAnswer, NativeDialogInput } from '../../../machines/filePicker.machine.js';
import { detectDialog } from '../../filesystem/picker/dialogs.js';
import { dialogPicker, type NativePicker } from '../../filesystem/picker/native-picker.js';
import { pooledFileOperations, type FileOperations } from '../../filesystem/filesystem-pool.js';
import { checkPickedPaths } from '../../filesystem/picked-paths.js';
import { TargetRegistry } from '../../filesystem/targets.js';
import { buildChildEnv, createExecaRunner, type ProcessRunner } from '../../processes/index.js';
import { isoAt } from '../../runtime/clock.js';
import { findExecutable } from '../../system/locate.js';
import { getLoginPath, type LoginPath } from '../../processes/login-path.js';
import type { BaseContext, CapabilityFactory, CapabilityModule } from '../service-context.js';
import { newId } from '../session/token.js';
import { startFilesystemService } from './filesystem-service.js';
import { startPickerService } from './picker-service.js';

export interface FilesystemModuleDeps {
  /** The native dialog; null: none. Default: detected for this machine. */
  nativePicker?: NativePicker | null;
  runner?: ProcessRunner;
  /** Where reads, lists and writes run. Default: worker threads, started at the first one. */
  files?: () => FileOperations;
  /** Default: the user's login-shell PATH, read once per process. */
  loginPath?: () => Promise<LoginPath>;
}

/** Filesystem targets, read, atomic write, and file pickers. */
export function createFilesystemModule(deps: FilesystemModuleDeps = {}): CapabilityFactory {
  return (base: BaseContext): CapabilityModule => {
    const targets = new TargetRegistry({
      roots: () => base.config.current.filesystem.roots,
      now: () => base.clock.now(),
      newId: () => newId('tgt'),
      onSkippedRoot: (root, reason) => base.logger.warn({ root: root.path, reason }, 'a configured filesystem root is not used'),
    });
    const loginPath = deps.loginPath ?? (() => getLoginPath({ timeoutMs: base.config.current.system.loginShellTimeoutMs }));
    const runner = deps.runner ?? createExecaRunner();
    let detected: Promise<{ picker: NativePicker } | { picker: null; reason: string }> | undefined;
    const nativePicker = () =>
      (detected ??= (async () => {
        if (deps.nativePicker !== undefined) return deps.nativePicker ? { picker: deps.nativePicker } : { picker: null, reason: 'no native dialog was given' };
        const searchPath = (await loginPath()).path;
        const found = await detectDialog({ platform: process.platform, env: process.env, has: async (name) => (await findExecutable(name, searchPath)) !== null });
        if (!found.program) return { picker: null, reason: found.reason };
        const env = async () => buildChildEnv({ inherited: process.env, loginPath: (await loginPath()).path, secrets: [] });
        return { picker: dialogPicker(found.program, runner, env) };
      })());

    return {
      name: 'filesystem',
      children: {
        filePicker: {
          actors: {
            nativeDialog: fromPromise<NativeAnswer, NativeDialogInput>(
              async ({ input: { requestedBy, ...request }, signal }) => {
                const native = await nativePicker();
                if (!native.picker) throw new Error(native.reason);
                // The dialog is shown the request; who asked owns what the user picks.
                const answer = await native.picker.pick(request, signal);
                const at = () => isoAt(base.clock.now());
                if (answer.outcome === 'cancelled') return { outcome: 'cancelled', at: at() };
                const reals = await checkPickedPaths(answer.paths, request);
                return { outcome: 'selected', targets: await targets.addPicked(reals, request.kind, request.access, requestedBy), at: at() };
              },
            ),
          },
        },
      },
      start(ctx) {
        ctx.capabilities.set('filesystem', { available: true });
        const files = deps.files?.() ?? pooledFileOperations();
        const services = [
          startFilesystemService(ctx, targets, files),
          startPickerService(ctx, {
            targets,
            nativeDialog: async () => {
              const native = await nativePicker();
              return native.picker ? { name: native.picker.name } : { name: null, reason: native.reason };
            },
          }),
        ];
        return {
          stop: () => {
            for (const service of services) void service.stop();
            // Unsubscribed first: no new job can come; one still running finishes or is refused.
            void files.close();
          },
        };
      },
    };
  };
}

/** The filesystem capability as the bridge registers it. */
export const filesystemCapability: CapabilityFactory = createFilesystemModule();
