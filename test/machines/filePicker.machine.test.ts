import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, SimulatedClock, waitFor } from 'xstate';
import type { PublishParams } from '../../machines/contract-event.js';
import { filePickerMachine, pickerView, type FilePickerInput, type NativeAnswer, type NativeDialogInput } from '../../machines/filePicker.machine.js';
import type { Target } from '../../src/contract/routes/filesystem.js';

const target: Target = {
  targetId: 'tgt_1',
  path: '/home/me/project',
  kind: 'directory',
  access: 'read',
  source: 'picked',
  addedAt: '2026-01-01T00:00:05.000Z',
};

/** A native dialog the test answers; `aborted` tells whether the machine closed it. */
function fakeDialog() {
  const dialog = { open: 0, aborted: false, answer: (_: NativeAnswer) => {}, fail: (_: Error) => {} };
  const actor = fromPromise<NativeAnswer, NativeDialogInput>(
    ({ signal }) =>
      new Promise((resolve, reject) => {
        dialog.open++;
        dialog.answer = resolve;
        dialog.fail = reject;
        signal.addEventListener('abort', () => {
          dialog.aborted = true;
        });
      }),
  );
  return { dialog, actor };
}

function startPicker(native: string | null) {
  const clock = new SimulatedClock();
  const published: PublishParams[] = [];
  const { dialog, actor: nativeDialog } = fakeDialog();
  const input: FilePickerInput = {
    pickerId: 'pick_1',
    kind: 'directory',
    multiple: false,
    title: 'Pick the project',
    access: 'read',
    requestedBy: { kind: 'ui' },
    timeoutMs: 60_000,
    createdAt: '2026-01-01T00:00:00.000Z',
    expiresAt: '2026-01-01T00:01:00.000Z',
    native,
  };
  const actor = createActor(
    filePickerMachine.provide({ actors: { nativeDialog }, actions: { publish: (_, params: PublishParams) => void published.push(params) } }),
    { clock, input },
  ).start();
  return { actor, clock, published, dialog };
}

describe('file picker machine', () => {
  it('without a native dialog waits for the bridge UI, whose answer selects', () => {
    const { actor, published, dialog } = startPicker(null);
    expect(actor.getSnapshot().matches({ pending: 'uiOnly' })).toBe(true);
    expect(dialog.open).toBe(0);
    actor.send({ type: 'picker.answer', targets: [target], at: '2026-01-01T00:00:05.000Z' });
    const snapshot = actor.getSnapshot();
    expect(snapshot.value).toBe('selected');
    expect(pickerView(snapshot.context, 'selected')).toMatchObject({ answeredBy: 'ui', resolvedAt: '2026-01-01T00:00:05.000Z', targets: [target] });
    expect(published).toEqual([{ type: 'filesystem.selected', data: { pickerId: 'pick_1', kind: 'directory', outcome: 'selected', targets: [target], requestedBy: { kind: 'ui' } } }]);
  });

  it('shows the native dialog and takes its answer', async () => {
    const { actor, dialog } = startPicker('zenity');
    expect(dialog.open).toBe(1);
    dialog.answer({ outcome: 'selected', targets: [target], at: '2026-01-01T00:00:09.000Z' });
    const snapshot = await waitFor(actor, (s) => s.status === 'done');
    expect(snapshot.value).toBe('selected');
    expect(snapshot.context).toMatchObject({ answeredBy: 'native', targets: [target] });
  });

  it('ends cancelled when the user closes the native dialog', async () => {
    const { actor, dialog, published } = startPicker('zenity');
    dialog.answer({ outcome: 'cancelled', at: '2026-01-01T00:00:09.000Z' });
    await waitFor(actor, (s) => s.status === 'done');
    expect(actor.getSnapshot().value).toBe('cancelled');
    expect(published.at(-1)).toMatchObject({ data: { outcome: 'cancelled', targets: [] } });
  });

  it('closes the native dialog when the bridge UI answers first', () => {
    const { actor, dialog } = startPicker('zenity');
    actor.send({ type: 'picker.cancel', at: '2026-01-01T00:00:03.000Z' });
    expect(actor.getSnapshot().value).toBe('cancelled');
    expect(dialog.aborted).toBe(true);
  });

  it('falls back to the bridge UI when the native dialog fails, keeping the reason', async () => {
    const { actor, dialog } = startPicker('zenity');
    dialog.fail(new Error('zenity failed (exit code 255): cannot open display'));
    await waitFor(actor, (s) => s.matches({ pending: 'uiOnly' }));
    expect(actor.getSnapshot().context.nativeError).toBe('zenity failed (exit code 255): cannot open display');
  });

  it('times out on its own timer and closes the dialog', () => {
    const { actor, clock, dialog, published } = startPicker('zenity');
    clock.increment(59_999);
    expect(actor.getSnapshot().status).toBe('active');
    clock.increment(1);
    expect(actor.getSnapshot().value).toBe('timed_out');
    expect(actor.getSnapshot().context.resolvedAt).toBe('2026-01-01T00:01:00.000Z');
    expect(dialog.aborted).toBe(true);
    expect(published.at(-1)).toMatchObject({ data: { outcome: 'timed_out' } });
  });
});
