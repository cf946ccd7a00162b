import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createBridgeClient } from '../../src/client/index.js';
import { collectEvents, startClientBridge, type ClientBridge } from './system-support.js';
import { isAlive as alive } from '../support/proc.js';

const fixture = path.resolve(import.meta.dirname, '../fixtures/awake-inhibitor.mjs');
/** A second web app the user allowed: what it does must not reach the first, nor the reverse. */
const OTHER_ORIGIN = 'https://other-app.example';

describe('awake locks with a configured inhibitor (a real process)', () => {
  let b: ClientBridge;
  beforeAll(async () => {
    b = await startClientBridge({
      config: {
        commandPath: 'inherited',
        // The web-app session answers its own prompt here (the user's choice; off by default).
        approvals: { localOnly: false },
        allowedOrigins: [OTHER_ORIGIN],
        awake: {
          inhibitorCommand: [process.execPath, fixture, '{pid}', '{reason}'],
          restart: { initialDelayMs: 50, maxDelayMs: 200, maxAttempts: 5, stableMs: 60_000 },
          killGraceMs: 500,
        },
      },
    });
  });
  afterAll(() => b.close());

  const runningPid = async (other?: number) =>
    vi.waitFor(
      async () => {
        const status = await b.app.api.awakeStatus();
        const pid = status.inhibitor.pid;
        if (status.inhibitor.state !== 'running' || pid === undefined || pid === other) throw new Error(`inhibitor ${JSON.stringify(status.inhibitor)}`);
        return pid;
      },
      { timeout: 10_000, interval: 25 },
    );

  it('starts the inhibitor for a lock, restarts it when killed, and stops it with the last lock', async () => {
    const events = collectEvents(b.app, ['awake.*']);
    const lock = await b.app.api.awakeAcquire({ body: { reason: 'long build' } });
    expect(lock).toMatchObject({ reason: 'long build', holder: { kind: 'session' }, expiresAt: null });
    await events.next('awake.acquired', (data) => data.lockId === lock.lockId);

    const first = await runningPid();
    expect(alive(first)).toBe(true);
    expect(readFileSync(`/proc/${first}/cmdline`, 'utf8').split('\0')).toContain('osloop-bridge: long build');
    expect(await b.app.api.awakeStatus()).toMatchObject({ supported: true, active: true, locks: [{ lockId: lock.lockId, reason: 'long build' }] });

    process.kill(first, 'SIGKILL');
    const second = await runningPid(first);
    expect(alive(first)).toBe(false);
    expect(alive(second)).toBe(true);
    const status = await b.app.api.awakeStatus();
    expect(status.inhibitor.restarts).toBe(1);
    expect(status.reason).toContain('killed by SIGKILL');
    await events.next('awake.state_changed', (data) => (data.inhibitor as { state: string }).state === 'restarting');

    expect(await b.app.api.awakeRelease({ body: { lockId: lock.lockId } })).toEqual({ lockId: lock.lockId, released: true });
    expect(await b.app.api.awakeRelease({ body: { lockId: lock.lockId } })).toEqual({ lockId: lock.lockId, released: false });
    await events.next('awake.released', (data) => data.lockId === lock.lockId && data.cause === 'released');
    await vi.waitFor(() => expect(alive(second)).toBe(false), { timeout: 10_000 });
    expect(await b.app.api.awakeStatus()).toMatchObject({ active: false, inhibitor: { state: 'idle' }, locks: [] });
    events.stop();
  });

  it('lets a lock expire at its TTL', async () => {
    const events = collectEvents(b.app, ['awake.released']);
    const lock = await b.app.api.awakeAcquire({ body: { reason: 'short', ttlMs: 200 } });
    expect(Date.parse(lock.expiresAt!) - Date.parse(lock.acquiredAt)).toBe(200);
    expect(await events.next('awake.released', (data) => data.lockId === lock.lockId)).toEqual({ lockId: lock.lockId, cause: 'expired' });
    expect((await b.app.api.awakeStatus()).locks).toEqual([]);
    events.stop();
  });

  it('refuses a TTL a timer cannot hold', async () => {
    await expect(b.app.api.awakeAcquire({ body: { reason: 'x', ttlMs: 2 ** 31 } })).rejects.toMatchObject({ status: 400 });
  });

  it('holds a lock for exactly the lifetime of a keepAwake command run', async () => {
    const events = collectEvents(b.app, ['awake.*']);
    const template = { command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'] };
    const run = await b.app.api.systemCommandsExecute({ body: { ...template, keepAwake: true, title: 'a long build', reason: 'keep the machine awake for it' }, respondAsync: true });
    await b.app.api.systemPermissionsPromptsResolve({ params: { requestId: run.promptId! }, body: { decision: 'allow_once' } });
    const acquired = await events.next('awake.acquired', (data) => data.runId === run.runId);
    // The run's title is what the status shows as why the machine stays awake.
    expect(acquired).toMatchObject({ reason: 'a long build', holder: { kind: 'session' } });
    expect((await b.app.api.awakeStatus()).locks).toEqual([expect.objectContaining({ lockId: acquired.lockId, runId: run.runId })]);
    await runningPid();

    await b.app.api.systemCommandsRunsTerminate({ params: { runId: run.runId } });
    expect(await events.next('awake.released', (data) => data.lockId === acquired.lockId)).toEqual({ lockId: acquired.lockId, cause: 'run_ended' });
    expect((await b.app.api.awakeStatus()).locks).toEqual([]);
    events.stop();
  });

  it('isolates origins: another origin neither lists, releases nor hears of a lock; the local UI sees all', async () => {
    const other = createBridgeClient({ baseUrl: b.bridge.baseUrl, origin: OTHER_ORIGIN, clientName: 'other app' });
    await other.handshake();
    const otherEvents = collectEvents(other, ['awake.*']);
    const ownEvents = collectEvents(b.app, ['awake.*']);
    try {
      const lock = await b.app.api.awakeAcquire({ body: { reason: 'private build of app A' } });
      const theirs = await other.api.awakeAcquire({ body: { reason: 'app B work' } });
      await ownEvents.next('awake.acquired', (data) => data.lockId === lock.lockId);
      await otherEvents.next('awake.acquired', (data) => data.lockId === theirs.lockId);

      // The machine is kept awake, which everyone may know; whose locks and why is each origin's own.
      expect(await other.api.awakeStatus()).toMatchObject({ active: true, locks: [{ lockId: theirs.lockId, reason: 'app B work' }] });
      expect((await b.app.api.awakeStatus()).locks.map((l) => l.lockId)).toEqual([lock.lockId]);
      expect((await b.ui.api.awakeStatus()).locks.map((l) => l.lockId).sort()).toEqual([lock.lockId, theirs.lockId].sort());

      // Releasing another origin's lock is as releasing an unknown one: nothing happens.
      expect(await other.api.awakeRelease({ body: { lockId: lock.lockId } })).toEqual({ lockId: lock.lockId, released: false });
      expect((await b.app.api.awakeStatus()).locks.map((l) => l.lockId)).toEqual([lock.lockId]);
      expect(await b.app.api.awakeRelease({ body: { lockId: lock.lockId } })).toEqual({ lockId: lock.lockId, released: true });
      await ownEvents.next('awake.released', (data) => data.lockId === lock.lockId);
      // The local UI may release any lock.
      expect(await b.ui.api.awakeRelease({ body: { lockId: theirs.lockId } })).toEqual({ lockId: theirs.lockId, released: true });
      await otherEvents.next('awake.released', (data) => data.lockId === theirs.lockId);

      // Each origin heard only of its own lock, though both sockets were open throughout (and the
      // other's, replayed from 0, holds none of the earlier tests' locks either).
      const heard = (events: { events: Array<{ type: string; data: unknown }> }) =>
        events.events.filter((e) => e.type !== 'awake.state_changed').map((e) => `${e.type} ${(e.data as { lockId: string }).lockId}`);
      expect(heard(otherEvents)).toEqual([`awake.acquired ${theirs.lockId}`, `awake.released ${theirs.lockId}`]);
      // (The first origin's stream, replayed from 0, also holds the earlier tests' locks.)
      expect(heard(ownEvents).filter((line) => line.endsWith(lock.lockId) || line.endsWith(theirs.lockId))).toEqual([`awake.acquired ${lock.lockId}`, `awake.released ${lock.lockId}`]);
    } finally {
      otherEvents.stop();
      ownEvents.stop();
      other.close();
    }
  });

  it('kills the inhibitor when the bridge stops', async () => {
    await b.app.api.awakeAcquire({ body: { reason: 'until the end' } });
    const pid = await runningPid();
    await b.close();
    expect(alive(pid)).toBe(false);
  });
});

// sd_booted(3): on a machine booted with systemd, systemd-inhibit may well work.
describe.skipIf(existsSync('/run/systemd/system'))('awake locks where systemd-inhibit cannot work', () => {
  let b: ClientBridge;
  beforeAll(async () => {
    b = await startClientBridge();
  });
  afterAll(() => b.close());

  it('says supported: false with the reason instead of pretending', async () => {
    const status = await b.app.api.awakeStatus();
    expect(status).toMatchObject({ supported: false, active: false, locks: [] });
    expect(status.reason).toMatch(/^systemd-inhibit (cannot work here|is not installed)/);
  });

  it('refuses a lock with 501 unsupported', async () => {
    await expect(b.app.api.awakeAcquire({ body: { reason: 'x' } })).rejects.toMatchObject({ status: 501, code: 'unsupported' });
  });

  it('marks the capability unavailable with the same reason', async () => {
    const { capabilities } = await b.app.api.capabilities();
    expect(capabilities.find((c) => c.id === 'awake')).toMatchObject({ available: false, reason: expect.stringMatching(/^systemd-inhibit/) });
  });
});
