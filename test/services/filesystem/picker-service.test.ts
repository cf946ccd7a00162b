import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PickerView, Target } from '../../../src/contract/routes/filesystem.js';
import { MemoryPicker } from '../../../src/filesystem/picker/memory-picker.js';
import { createFilesystemModule } from '../../../src/services/filesystem/filesystem-module.js';
import { startCapabilityHarness, UI, type CapabilityHarness } from '../capability-harness.js';

let tree: string;
beforeAll(async () => {
  tree = await realpath(await mkdtemp(path.join(os.tmpdir(), 'fs-picker-')));
  await mkdir(path.join(tree, 'project'));
  await writeFile(path.join(tree, 'notes.txt'), 'n');
});
afterAll(() => rm(tree, { recursive: true, force: true }));

let harness: CapabilityHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

async function start(nativePicker: MemoryPicker | null) {
  harness = await startCapabilityHarness(
    createFilesystemModule({ nativePicker, loginPath: async () => ({ path: '/usr/bin:/bin', source: 'process', shell: null }) }),
  );
  return harness;
}

const select = (h: CapabilityHarness, body: object) => h.call<PickerView>('filesystem.select', { body: { kind: 'directory', ...body } });
const finished = (h: CapabilityHarness, pickerId: string) => h.call<PickerView>('filesystem.pickers.get', { params: { pickerId }, query: { waitMs: '5000' } });

describe('file pickers with a native dialog', () => {
  it('shows the dialog; its pick becomes a target with the access asked', async () => {
    const dialog = new MemoryPicker();
    const h = await start(dialog);
    const picker = await select(h, { title: 'Your project', access: 'read-write' });
    expect(picker).toMatchObject({ state: 'pending', native: 'memory-picker' });
    await expect.poll(() => dialog.open).toBe(1);
    expect(dialog.requests).toEqual([{ kind: 'directory', multiple: false, title: 'Your project', access: 'read-write' }]);

    dialog.answer({ outcome: 'selected', paths: [path.join(tree, 'project')] });
    const done = await finished(h, picker.pickerId);
    expect(done).toMatchObject({ state: 'selected', answeredBy: 'native', targets: [{ path: path.join(tree, 'project'), kind: 'directory', access: 'read-write', source: 'picked' }] });
    const { targets } = await h.call<{ targets: Target[] }>('filesystem.targets');
    expect(targets.map((t) => t.path)).toEqual([path.join(tree, 'project')]);
    expect(h.events.filter((e) => e.type === 'filesystem.selected')).toEqual([
      { type: 'filesystem.selected', data: { pickerId: picker.pickerId, kind: 'directory', outcome: 'selected', targets: done.targets, requestedBy: done.requestedBy } },
    ]);
  });

  it('closes the dialog when the bridge UI answers first', async () => {
    const dialog = new MemoryPicker();
    const h = await start(dialog);
    const picker = await select(h, {});
    await expect.poll(() => dialog.open).toBe(1);
    const answered = await h.call<PickerView>('ui.pickers.resolve', { params: { pickerId: picker.pickerId }, body: { cancelled: true }, principal: UI });
    expect(answered).toMatchObject({ state: 'cancelled', answeredBy: 'ui' });
    expect(dialog.aborted).toBe(1);
  });

  it('lets the bridge UI answer when the dialog\'s answer is unusable, keeping why', async () => {
    const dialog = new MemoryPicker();
    const h = await start(dialog);
    const picker = await select(h, {});
    await expect.poll(() => dialog.open).toBe(1);
    dialog.answer({ outcome: 'selected', paths: [path.join(tree, 'notes.txt')] });
    await expect.poll(async () => (await h.call<PickerView>('filesystem.pickers.get', { params: { pickerId: picker.pickerId } })).nativeError).toContain('is not a directory');
    const answered = await h.call<PickerView>('ui.pickers.resolve', { params: { pickerId: picker.pickerId }, body: { paths: [path.join(tree, 'project')] }, principal: UI });
    expect(answered).toMatchObject({ state: 'selected', answeredBy: 'ui' });
  });

  it('times out when nobody answers, closing the dialog', async () => {
    const dialog = new MemoryPicker();
    const h = await start(dialog);
    const picker = await select(h, { timeoutMs: 50 });
    expect(await finished(h, picker.pickerId)).toMatchObject({ state: 'timed_out', targets: [] });
    expect(dialog.aborted).toBe(1);
  });
});

describe('file pickers without a native dialog', () => {
  it('refuses with 501 while no bridge UI is open, saying why', async () => {
    const h = await start(null);
    await expect(select(h, {})).rejects.toMatchObject({ code: 'unsupported', message: expect.stringContaining('the bridge UI is not open') });
  });

  it('is answered through the bridge UI once it lists pickers', async () => {
    const h = await start(null);
    expect(await h.call('ui.pickers.list', { principal: UI })).toEqual({ pickers: [] });
    const picker = await select(h, { kind: 'file', multiple: true });
    expect(picker.native).toBeNull();
    expect(await h.call('ui.pickers.list', { principal: UI })).toEqual({ pickers: [picker] });
    const answered = await h.call<PickerView>('ui.pickers.resolve', {
      params: { pickerId: picker.pickerId },
      body: { paths: [path.join(tree, 'notes.txt')] },
      principal: UI,
    });
    expect(answered.targets).toMatchObject([{ path: path.join(tree, 'notes.txt'), kind: 'file', access: 'read' }]);
    expect(await h.call('ui.pickers.list', { principal: UI })).toEqual({ pickers: [] });
  });
});
