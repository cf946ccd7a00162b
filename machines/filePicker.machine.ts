import { assign, fromPromise, setup } from 'xstate';
import type { Principal } from '../src/contract/principal.js';
import type { PickerView, Target } from '../src/contract/routes/filesystem.js';
import { publishPlaceholder } from './contract-event.js';

export interface PickerRequest {
  kind: 'file' | 'directory';
  multiple: boolean;
  title: string | null;
}

/** What the native dialog is shown with; `requestedBy` owns the targets it picks. */
export interface NativeDialogInput extends PickerRequest {
  access: Target['access'];
  requestedBy: Principal;
}

export interface FilePickerInput extends PickerRequest {
  pickerId: string;
  access: Target['access'];
  requestedBy: Principal;
  timeoutMs: number;
  createdAt: string;
  expiresAt: string;
  /** The native dialog shown (zenity, kdialog, osascript, powershell); null: only the bridge UI can answer. */
  native: string | null;
}

export interface FilePickerContext extends FilePickerInput {
  /** The picked paths, once they became targets. */
  targets: Target[];
  resolvedAt: string | null;
  answeredBy: 'native' | 'ui' | null;
  /** Why the native dialog could not answer (the bridge UI still can). */
  nativeError: string | null;
}

/** What the native dialog actor resolves with: the picks already turned into targets. */
export type NativeAnswer = { outcome: 'selected'; targets: Target[]; at: string } | { outcome: 'cancelled'; at: string };

export type FilePickerEvent =
  | { type: 'picker.answer'; targets: Target[]; at: string }
  | { type: 'picker.cancel'; at: string };

/** The picker as the contract shows it. */
export function pickerView(context: FilePickerContext, state: PickerView['state']): PickerView {
  return {
    pickerId: context.pickerId,
    state,
    kind: context.kind,
    multiple: context.multiple,
    title: context.title,
    access: context.access,
    requestedBy: context.requestedBy,
    native: context.native,
    createdAt: context.createdAt,
    expiresAt: context.expiresAt,
    resolvedAt: context.resolvedAt,
    answeredBy: context.answeredBy,
    targets: context.targets,
    nativeError: context.nativeError,
  };
}

const settled = (outcome: 'selected' | 'cancelled' | 'timed_out') => ({
  type: 'publish' as const,
  params: ({ context }: { context: FilePickerContext }) => ({
    type: 'filesystem.selected' as const,
    // Who asked: the event goes to that origin's sockets (and the local UI) only.
    data: { pickerId: context.pickerId, kind: context.kind, outcome, targets: context.targets, requestedBy: context.requestedBy },
  }),
});

/**
 * A request for the user to pick files or folders. The native dialog (when this machine has
 * one) and the bridge's own UI may both answer; the first answer wins and closes the other.
 * Unanswered, it times out on its own timer.
 */
export const filePickerMachine = setup({
  types: {} as { context: FilePickerContext; input: FilePickerInput; events: FilePickerEvent },
  actors: {
    /** Shows the native dialog; stopping the actor closes it. */
    nativeDialog: fromPromise<NativeAnswer, NativeDialogInput>(async () => {
      throw new Error('nativeDialog is provided by the runtime');
    }),
  },
  actions: { publish: publishPlaceholder },
  guards: { hasNative: ({ context }) => context.native !== null },
  delays: { timeout: ({ context }) => context.timeoutMs },
}).createMachine({
  id: 'filePicker',
  context: ({ input }) => ({ ...input, targets: [], resolvedAt: null, answeredBy: null, nativeError: null }),
  initial: 'pending',
  states: {
    pending: {
      initial: 'choosing',
      after: { timeout: { target: 'timed_out', actions: assign({ resolvedAt: ({ context }) => context.expiresAt }) } },
      on: {
        'picker.answer': {
          target: 'selected',
          actions: assign({ targets: ({ event }) => event.targets, resolvedAt: ({ event }) => event.at, answeredBy: 'ui' as const }),
        },
        'picker.cancel': { target: 'cancelled', actions: assign({ resolvedAt: ({ event }) => event.at, answeredBy: 'ui' as const }) },
      },
      states: {
        choosing: { always: [{ guard: 'hasNative', target: 'native' }, { target: 'uiOnly' }] },
        native: {
          invoke: {
            src: 'nativeDialog',
            input: ({ context }): NativeDialogInput => ({ kind: context.kind, multiple: context.multiple, title: context.title, access: context.access, requestedBy: context.requestedBy }),
            onDone: [
              {
                guard: ({ event }) => event.output.outcome === 'selected',
                target: '#filePicker.selected',
                actions: assign(({ event }) => ({
                  targets: event.output.outcome === 'selected' ? event.output.targets : [],
                  resolvedAt: event.output.at,
                  answeredBy: 'native' as const,
                })),
              },
              { target: '#filePicker.cancelled', actions: assign({ resolvedAt: ({ event }) => event.output.at, answeredBy: 'native' as const }) },
            ],
            onError: { target: 'uiOnly', actions: assign({ nativeError: ({ event }) => errorText(event.error) }) },
          },
        },
        uiOnly: {
          description: 'Waiting for the bridge UI: there is no native dialog, or it failed (see nativeError).',
        },
      },
    },
    selected: { type: 'final', entry: settled('selected') },
    cancelled: { type: 'final', entry: settled('cancelled') },
    timed_out: { type: 'final', entry: settled('timed_out') },
  },
});

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
