import { mcpConnectionMachine } from './mcpConnection.machine.js';
import { mcpServerRequestMachine } from './mcpServerRequest.machine.js';
import { sessionMachine } from './session.machine.js';
import { commandRunMachine } from './commandRun.machine.js';
import { permissionPromptMachine } from './permissionPrompt.machine.js';
import { awakeLockMachine } from './awakeLock.machine.js';
import { inhibitorMachine } from './inhibitor.machine.js';
import { filePickerMachine } from './filePicker.machine.js';
import { toolInstallMachine } from './toolInstall.machine.js';

/**
 * The kinds of child the bridge supervises, each a pure machine. Capabilities add theirs here;
 * the runtime provides their effects with `.provide()`.
 */
export const childMachines = {
  session: sessionMachine,
  commandRun: commandRunMachine,
  permissionPrompt: permissionPromptMachine,
  mcpConnection: mcpConnectionMachine,
  mcpServerRequest: mcpServerRequestMachine,
  awakeLock: awakeLockMachine,
  inhibitor: inhibitorMachine,
  filePicker: filePickerMachine,
  toolInstall: toolInstallMachine,
} as const;
export type ChildKind = keyof typeof childMachines;

export const CHILD_KINDS = Object.keys(childMachines) as ChildKind[];
