import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBridgeClient } from '../../src/client/index.js';
import { collectEvents, startClientBridge, type ClientBridge } from './system-support.js';

let tmp: string;
let b: ClientBridge;
/** A second web app the user allowed: what the user picked for one is not the other's. */
const OTHER_ORIGIN = 'https://other-app.example';

// No display here, and native dialogs are off anyway: the bridge UI is the one way to answer.
beforeAll(async () => {
  tmp = await realpath(await mkdtemp(path.join(os.tmpdir(), 'fs-picker-e2e-')));
  await mkdir(path.join(tmp, 'project'));
  await mkdir(path.join(tmp, 'assets'));
  await writeFile(path.join(tmp, 'notes.txt'), 'notes');
  b = await startClientBridge({ config: { filesystem: { nativePicker: 'off' }, allowedOrigins: [OTHER_ORIGIN] } });
});
afterAll(async () => {
  await b.close();
  await rm(tmp, { recursive: true, force: true });
});

const refusal = (promise: Promise<unknown>) => promise.then(() => null, (error: { status: number; code: string }) => ({ status: error.status, code: error.code }));

describe('file pickers answered through the bridge UI', () => {
  it('are unsupported (501) while no native dialog exists and no UI is open', async () => {
    const error = (await b.app.api.filesystemSelect({ body: { kind: 'directory' } }).catch((e: unknown) => e)) as { status: number; code: string; details: { reason: string } };
    expect(error).toMatchObject({ status: 501, code: 'unsupported' });
    expect(error.details.reason).toContain('the bridge UI is not open');
  });

  it('answer 202 at once; the UI lists the picker, answers it, and the folder becomes a target', async () => {
    const events = collectEvents(b.app, ['filesystem.selected']);
    expect(await b.ui.api.uiPickersList()).toEqual({ pickers: [] });
    const picker = await b.app.api.filesystemSelect({ body: { kind: 'directory', title: 'Pick your project', access: 'read-write' } });
    expect(picker).toMatchObject({ state: 'pending', native: null, title: 'Pick your project', requestedBy: { kind: 'session' } });

    const { pickers } = await b.ui.api.uiPickersList();
    expect(pickers.map((p) => p.pickerId)).toEqual([picker.pickerId]);
    const answered = await b.ui.api.uiPickersResolve({ params: { pickerId: picker.pickerId }, body: { paths: [path.join(tmp, 'project')] } });
    expect(answered).toMatchObject({ state: 'selected', answeredBy: 'ui', targets: [{ path: path.join(tmp, 'project'), kind: 'directory', access: 'read-write', source: 'picked' }] });

    expect(await b.app.api.filesystemPickersGet({ params: { pickerId: picker.pickerId } })).toEqual(answered);
    const event = await events.next('filesystem.selected', (data) => data.pickerId === picker.pickerId);
    expect(event).toEqual({ pickerId: picker.pickerId, kind: 'directory', outcome: 'selected', targets: answered.targets, requestedBy: answered.requestedBy });
    const { targets } = await b.app.api.filesystemTargets();
    expect(targets).toContainEqual(answered.targets[0]);

    // The picked folder is now usable, read-write as asked.
    const file = path.join(tmp, 'project', 'from-agent.txt');
    expect(await b.app.api.filesystemWrite({ body: { path: file, content: 'ok' } })).toMatchObject({ path: file, created: true });
    events.stop();
  });

  it('long-polls the picker until the user answers', async () => {
    await b.ui.api.uiPickersList();
    const picker = await b.app.api.filesystemSelect({ body: { kind: 'directory' } });
    const waiting = b.app.api.filesystemPickersGet({ params: { pickerId: picker.pickerId }, query: { waitMs: 20_000 } });
    await b.ui.api.uiPickersResolve({ params: { pickerId: picker.pickerId }, body: { cancelled: true } });
    expect(await waiting).toMatchObject({ state: 'cancelled', targets: [] });
  });

  it('resolves once: a second answer gets 409', async () => {
    await b.ui.api.uiPickersList();
    const picker = await b.app.api.filesystemSelect({ body: { kind: 'directory' } });
    await b.ui.api.uiPickersResolve({ params: { pickerId: picker.pickerId }, body: { cancelled: true } });
    expect(await refusal(b.ui.api.uiPickersResolve({ params: { pickerId: picker.pickerId }, body: { paths: [tmp] } }))).toEqual({ status: 409, code: 'conflict' });
  });

  it.each([
    ['a path that does not exist', () => [path.join(tmp, 'missing')]],
    ['a file for a directory picker', () => [path.join(tmp, 'notes.txt')]],
    ['two paths for a single picker', () => [path.join(tmp, 'project'), path.join(tmp, 'assets')]],
    ['a relative path', () => ['project']],
  ])('refuses %s with 400 and keeps the picker pending', async (_, paths) => {
    await b.ui.api.uiPickersList();
    const picker = await b.app.api.filesystemSelect({ body: { kind: 'directory' } });
    expect(await refusal(b.ui.api.uiPickersResolve({ params: { pickerId: picker.pickerId }, body: { paths: paths() } }))).toEqual({ status: 400, code: 'invalid_request' });
    expect(await b.app.api.filesystemPickersGet({ params: { pickerId: picker.pickerId } })).toMatchObject({ state: 'pending' });
    await b.ui.api.uiPickersResolve({ params: { pickerId: picker.pickerId }, body: { cancelled: true } });
  });

  it('times out when nobody answers', async () => {
    await b.ui.api.uiPickersList();
    const picker = await b.app.api.filesystemSelect({ body: { kind: 'file', timeoutMs: 100 } });
    expect(await b.app.api.filesystemPickersGet({ params: { pickerId: picker.pickerId }, query: { waitMs: 20_000 } })).toMatchObject({ state: 'timed_out' });
  });

  it('keeps the UI routes for the UI: a web-app session token gets 403', async () => {
    const response = await fetch(`${b.bridge.baseUrl}/api/v1/ui/pickers`, {
      headers: { origin: b.bridge.origin, 'x-osloop-bridge-token': b.app.session!.sessionToken },
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: { code: 'forbidden' } });
  });

  it('answers 404 for an unknown picker', async () => {
    expect(await refusal(b.app.api.filesystemPickersGet({ params: { pickerId: 'pick_unknown' } }))).toEqual({ status: 404, code: 'not_found' });
  });
});

describe('file pickers, origins isolated', () => {
  it('keeps a picker, its answer, its targets and its events to the origin that asked (and the local UI)', async () => {
    const other = createBridgeClient({ baseUrl: b.bridge.baseUrl, origin: OTHER_ORIGIN, clientName: 'other app' });
    await other.handshake();
    const otherEvents = collectEvents(other, ['filesystem.*']);
    const ownEvents = collectEvents(b.app, ['filesystem.*']);
    try {
      const privateDir = path.join(tmp, 'private');
      await mkdir(privateDir);
      await writeFile(path.join(privateDir, 'secret.txt'), 'app A only');
      await b.ui.api.uiPickersList();
      const picker = await b.app.api.filesystemSelect({ body: { kind: 'directory', title: 'private pick', access: 'read-write' } });
      // Another origin cannot read it, nor wait on it, while pending or after.
      expect(await refusal(other.api.filesystemPickersGet({ params: { pickerId: picker.pickerId } }))).toEqual({ status: 404, code: 'not_found' });
      expect(await refusal(other.api.filesystemPickersGet({ params: { pickerId: picker.pickerId }, query: { waitMs: 5_000 } }))).toEqual({ status: 404, code: 'not_found' });
      const picked = await b.ui.api.uiPickersResolve({ params: { pickerId: picker.pickerId }, body: { paths: [privateDir] } });
      const [target] = picked.targets;
      await ownEvents.next('filesystem.selected', (data) => data.pickerId === picker.pickerId);
      expect(await refusal(other.api.filesystemPickersGet({ params: { pickerId: picker.pickerId } }))).toEqual({ status: 404, code: 'not_found' });
      expect(await b.app.api.filesystemPickersGet({ params: { pickerId: picker.pickerId } })).toMatchObject({ state: 'selected' });

      // The picked folder is a target of the origin that asked, and of the local UI, only.
      const secret = path.join(privateDir, 'secret.txt');
      expect((await b.app.api.filesystemTargets()).targets).toContainEqual(target);
      expect((await b.ui.api.filesystemTargets()).targets).toContainEqual(target);
      expect((await other.api.filesystemTargets()).targets.map((t) => t.path)).not.toContain(privateDir);
      expect(await b.app.api.filesystemRead({ body: { path: secret } })).toMatchObject({ content: 'app A only' });
      expect(await refusal(other.api.filesystemRead({ body: { path: secret } }))).toEqual({ status: 403, code: 'path_outside_target' });
      expect(await refusal(other.api.filesystemList({ body: { path: privateDir } }))).toEqual({ status: 403, code: 'path_outside_target' });
      expect(await refusal(other.api.filesystemWrite({ body: { path: path.join(privateDir, 'planted.txt'), content: 'x' } }))).toEqual({ status: 403, code: 'path_outside_target' });
      const byA = path.join(privateDir, 'by-a.txt');
      await b.app.api.filesystemWrite({ body: { path: byA, content: 'a' } });
      await ownEvents.next('filesystem.written', (data) => data.path === byA);

      // The other origin's own pick of the same folder is a target of its own.
      const theirs = await other.api.filesystemSelect({ body: { kind: 'directory' } });
      const theirPick = await b.ui.api.uiPickersResolve({ params: { pickerId: theirs.pickerId }, body: { paths: [privateDir] } });
      expect(theirPick.targets[0]!.targetId).not.toBe(target!.targetId);
      expect(await other.api.filesystemRead({ body: { path: secret } })).toMatchObject({ content: 'app A only' });
      await otherEvents.next('filesystem.selected', (data) => data.pickerId === theirs.pickerId);

      // The other origin's stream (replayed from 0) holds its own picker's end and nothing of the first origin's.
      expect(otherEvents.events.map((e) => e.type)).toEqual(['filesystem.selected']);
      expect(ownEvents.events.map((e) => (e.data as { pickerId?: string }).pickerId)).not.toContain(theirs.pickerId);
    } finally {
      otherEvents.stop();
      ownEvents.stop();
      other.close();
    }
  });
});
