import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createCurve } from '@nats-io/nkeys';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureFleetInfrastructure, FleetClient, JOB_EVENTS_STREAM, type PresenceChange, type ReceivedJobEvent } from '../../src/fleet/client/index.js';
import { createFleetRequest } from '../../src/fleet/fleet-request.js';
import { bridgePermissions, orchestratorPermissions } from '../../src/fleet/server-permissions.js';
import { verifyText } from '../../src/fleet/signing.js';
import { SESSION_FRAME_V1 } from '../../src/fleet/session-wire.js';
import { fleetSubjectsFor } from '../../src/fleet/subjects.js';
import { startNatsCluster, type NatsCluster } from '../support/nats-cluster.js';
import { startTestBridge } from '../support/test-bridge.js';
import { requireNatsServer } from '../support/nats-server.js';
import { makeThrowawayTls, type ThrowawayTls } from '../support/throwaway-ca.js';
import { connectAs, newMachineIdentity, newUser, prepareBridgeHome, spawnBridge, uiFetch, type BridgeProcess } from './fleet-harness.js';

const { skip } = requireNatsServer();

/** Short on purpose: the test must see a kill -9 within 20 s. */
const HEARTBEAT_MS = 500;
const GRACE_MS = 3_000;
const ORCHESTRATOR_INBOX = '_INBOX_orchestrator';

const secretFor = (i: number) => `PLANTED-SECRET-${i}-${Math.random().toString(36).slice(2)}`;
const executeBody = (secret: string) => ({
  command: '/bin/echo',
  args: ['fleet', secret],
  commandTemplate: '/bin/echo',
  argsTemplate: ['fleet', '__OSL_SECRET[token]__'],
  reason: 'fleet test job',
});

/** A refusal as the edge signs it: the machine's signature checked, the reason returned. */
function refusalFrom(machineId: string, raw: string): string {
  const wire = JSON.parse(raw) as { body: string; sig: string };
  expect(verifyText(machineId, 'reply', wire.body, wire.sig)).toBe(true);
  const body = JSON.parse(wire.body) as { refused?: { reason: string } };
  expect(body.refused).toBeDefined();
  return body.refused!.reason;
}

describe.skipIf(skip)('a fleet of three bridges on a 3-node TLS cluster with JetStream', () => {
  let dir: string;
  let tls: ThrowawayTls;
  let cluster: NatsCluster;
  let bridges: BridgeProcess[] = [];
  let orchestratorNc: NatsConnection;
  let monitorNc: NatsConnection;
  let attackerNc: NatsConnection;
  let client: FleetClient;
  const monitorSaw: string[] = [];
  /** The raw bytes behind each line of `monitorSaw` (session requests are binary frames). */
  const monitorFrames: { subject: string; data: Uint8Array }[] = [];
  const presence: PresenceChange[] = [];
  const presenceWaiters = new Set<() => void>();
  const orchestrator = newUser();
  const orchestratorCurve = createCurve();
  const attacker = newUser();
  const monitor = newUser();

  const lostSeen = (machineId: string) =>
    new Promise<PresenceChange>((resolve) => {
      const check = () => {
        const change = presence.find((c) => c.type === 'lost' && c.machineId === machineId);
        if (!change) return;
        presenceWaiters.delete(check);
        resolve(change);
      };
      presenceWaiters.add(check);
      check();
    });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'osloop-fleet-cluster-'));
    tls = await makeThrowawayTls(dir);
    const identities = [newMachineIdentity(), newMachineIdentity(), newMachineIdentity()];
    cluster = await startNatsCluster({
      dir,
      tls,
      users: [
        ...identities.map((identity) => ({ nkey: identity.machineId, permissions: bridgePermissions(identity.machineId) })),
        { nkey: orchestrator.publicKey, permissions: orchestratorPermissions(ORCHESTRATOR_INBOX) },
        { nkey: monitor.publicKey, permissions: { publish: { deny: ['>'] }, subscribe: { allow: ['>'] } } },
        // The "bare client": anyone else on the server, allowed everything.
        { nkey: attacker.publicKey, permissions: { publish: { allow: ['>'] }, subscribe: { allow: ['>'] } } },
      ],
    });
    // n1 last: the test kills it, and the orchestrator should not start out on it.
    orchestratorNc = await connectAs([cluster.urls[1]!, cluster.urls[2]!, cluster.urls[0]!], tls, orchestrator.seed, ORCHESTRATOR_INBOX, 'orchestrator');
    monitorNc = await connectAs(cluster.urls, tls, monitor.seed, '_INBOX_monitor', 'monitor');
    attackerNc = await connectAs(cluster.urls, tls, attacker.seed, '_INBOX', 'attacker');
    monitorNc.subscribe('>', {
      callback: (_error, msg) => {
        monitorSaw.push(`${msg.subject} ${msg.string()}`);
        monitorFrames.push({ subject: msg.subject, data: msg.data });
      },
    });
    await monitorNc.flush();

    // JetStream elects its meta leader, and learns where it may place replicas, after the cluster forms.
    await cluster.whileJetStreamForms(() => ensureFleetInfrastructure(orchestratorNc, { replicas: 3, presenceTtlMs: 60_000 }));
    client = new FleetClient(orchestratorNc, { identity: orchestrator.key, curve: orchestratorCurve });
    await client.watchPresence({
      graceMs: GRACE_MS,
      onChange: (change) => {
        presence.push(change);
        for (const waiter of [...presenceWaiters]) waiter();
      },
    });

    const homes = await Promise.all(identities.map((identity) => prepareBridgeHome({ identity, servers: cluster.urls, tls, orchestrator: orchestrator.publicKey, heartbeatMs: HEARTBEAT_MS })));
    bridges = homes.map((home) => spawnBridge(home));
    await Promise.all(bridges.map((bridge) => bridge.waitForLog(/joined as a NATS service/)));
  }, 120_000);

  afterAll(async () => {
    client?.stop();
    await Promise.all(bridges.map((bridge) => bridge.stop()));
    for (const nc of [orchestratorNc, monitorNc, attackerNc]) await nc?.close().catch(() => {});
    await cluster?.stop();
    for (const bridge of bridges) await rm(bridge.home, { recursive: true, force: true });
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('discovers all three machines, each vouching for its curve key', async () => {
    const machines = await client.discover({ maxWaitMs: 1_500 });
    expect(machines.map((m) => m.machineId).sort()).toEqual(bridges.map((b) => b.machineId).sort());
    for (const machine of machines) expect(machine.endpoints).toContain(fleetSubjectsFor(machine.machineId).endpoint('execute'));
  });

  it('raises each job\'s prompt on its own machine, which only that machine\'s UI token can approve', async () => {
    await client.discover({ maxWaitMs: 1_000 });
    const secrets = bridges.map((_, i) => secretFor(i));
    const started = await Promise.all(bridges.map((bridge, i) => client.execute(bridge.machineId, executeBody(secrets[i]!))));
    const tokens = await Promise.all(bridges.map((bridge) => bridge.uiToken()));
    for (const [i, bridge] of bridges.entries()) {
      const reply = started[i] as { runId: string; state: string; promptId?: string };
      expect(reply.state).toBe('awaiting_permission');
      const pending = await uiFetch(bridge, tokens[i]!, '/api/v1/ui/prompts');
      const prompt = (pending.body as { prompts: Array<{ promptId: string; requestedBy: unknown }> }).prompts.find((p) => p.promptId === reply.promptId);
      expect(prompt?.requestedBy).toEqual({ kind: 'fleet', orchestrator: orchestrator.publicKey });

      const otherToken = tokens[(i + 1) % tokens.length]!;
      const resolveRoute = `/api/v1/system/permissions/prompts/${reply.promptId}/resolve`;
      expect((await uiFetch(bridge, otherToken, resolveRoute, { method: 'POST', body: { decision: 'allow_once' } })).status).toBe(401);
      expect((await uiFetch(bridge, tokens[i]!, resolveRoute, { method: 'POST', body: { decision: 'allow_once' } })).status).toBe(200);
    }
    for (const [i, bridge] of bridges.entries()) {
      const outcome = await client.waitForOutcome(bridge.machineId, (started[i] as { runId: string }).runId, { pollMs: 2_000 });
      expect(outcome.state).toBe('ended');
      const run = (outcome as { run: { state: string; stdout: { data: string } | null } }).run;
      expect(run.state).toBe('completed');
      // The output came back sealed to the orchestrator, and opened here.
      expect(run.stdout?.data).toContain(secrets[i]);
    }
  }, 60_000);

  it('refuses unsigned, unpaired, replayed and cross-machine requests, and forged principals', async () => {
    const [first, second] = bridges as [BridgeProcess, BridgeProcess];
    const ask = async (machineId: string, op: string, wire: string | Uint8Array) => (await attackerNc.request(fleetSubjectsFor(machineId).endpoint(op), wire, { timeout: 5_000 })).string();
    await client.discover({ maxWaitMs: 1_000 });
    const machine = (await client.discover({ maxWaitMs: 1_000 })).find((m) => m.machineId === first.machineId)!;

    // Unsigned: a well-formed envelope without a signature.
    const unsigned = JSON.parse(createFleetRequest({ identity: orchestrator.key, curve: orchestratorCurve }, { machine: first.machineId, curveKey: machine.curveKey }, 'runs', {}).wire) as Record<string, unknown>;
    delete unsigned.sig;
    expect(refusalFrom(first.machineId, await ask(first.machineId, 'runs', JSON.stringify(unsigned)))).toBe('unsigned');

    // Unpaired: signed, but by a key this machine was never paired with.
    const strangerWire = createFleetRequest({ identity: attacker.key, curve: createCurve() }, { machine: first.machineId, curveKey: machine.curveKey }, 'execute', { body: executeBody('x') }).wire;
    expect(refusalFrom(first.machineId, await ask(first.machineId, 'execute', strangerWire))).toBe('unpaired');

    // Replayed: a genuine request the monitor saw on the wire, sent again.
    const framesBefore = monitorFrames.length;
    await client.runs(first.machineId);
    // The monitor may sit on another node of the cluster than the client: its copy of the request
    // can arrive after the reply did, so it is waited for (the last frame seen so far may be the
    // attacker's unsigned one above).
    const captured = (
      await vi.waitUntil(() => monitorFrames.slice(framesBefore).findLast((frame) => frame.subject === fleetSubjectsFor(first.machineId).endpoint('runs')), { timeout: 5_000, interval: 20 })
    ).data;
    // The client sends in its session (one signed handshake, then a MAC per request): the replay is of a counter.
    expect(captured[0]).toBe(SESSION_FRAME_V1);
    expect(refusalFrom(first.machineId, await ask(first.machineId, 'runs', captured))).toBe('replayed');

    // Cross-machine: the same genuine request, sent to another machine.
    expect(refusalFrom(second.machineId, await ask(second.machineId, 'runs', captured))).toBe('wrong_machine');

    // The forged principal: `{ principal: ui }` approving a prompt, on the old bus subject
    // (nobody serves it: the bus is in-process) and on every fleet endpoint (not an envelope).
    const forged = JSON.stringify({ principal: { kind: 'ui' }, params: { requestId: 'prompt-x' }, body: { decision: 'allow_once' } });
    await expect(attackerNc.request(`osloop.${first.machineId}.rpc.system.permissions.prompts.resolve`, forged, { timeout: 2_000 })).rejects.toThrow();
    await expect(attackerNc.request(fleetSubjectsFor(first.machineId).endpoint('resolve'), forged, { timeout: 2_000 })).rejects.toThrow();
    expect(refusalFrom(first.machineId, await ask(first.machineId, 'execute', forged))).toBe('malformed');
  }, 60_000);

  it('drops job events and presence that the machine did not sign', async () => {
    const target = bridges[0]!;
    const forgedSubjects: string[] = [];
    let sawForged: () => void = () => {};
    const forgedArrived = new Promise<void>((resolve) => (sawForged = resolve));
    const follower = await client.followJobs({
      onEvent: () => {},
      onForged: (subject) => {
        forgedSubjects.push(subject);
        sawForged();
      },
    });
    const forgedEvent = { body: JSON.stringify({ v: 1, machine: target.machineId, orchestrator: orchestrator.publicKey, runId: 'run-forged', type: 'bridge.job.updated', status: 'completed', exitCode: 0, errorCode: null, at: new Date().toISOString() }), sig: 'A'.repeat(86) };
    await jetstream(attackerNc).publish(`${fleetSubjectsFor(target.machineId).allJobEvents.slice(0, -1)}run-forged`, JSON.stringify(forgedEvent));
    await forgedArrived;
    expect(forgedSubjects).toContain(`${fleetSubjectsFor(target.machineId).allJobEvents.slice(0, -1)}run-forged`);
    await follower.stop();
  }, 30_000);

  it('shows a `>` monitor templates, never a planted secret or a token', async () => {
    const tokens = await Promise.all(bridges.map((bridge) => bridge.uiToken()));
    const traffic = monitorSaw.join('\n');
    // The monitor did see the fleet's requests (templates in clear), so its silence below means something.
    expect(traffic).toContain('__OSL_SECRET[token]__');
    expect(traffic).not.toContain('PLANTED-SECRET');
    for (const token of tokens) expect(traffic).not.toContain(token);
  });

  it('reports a refused login in its log and state, and never falls back to an anonymous connection', async () => {
    // A machine the server does not list: its nkey login must fail, loudly.
    const outsider = await startTestBridge({
      config: { nats: { servers: cluster.urls, tls: { caFile: tls.caFile }, orchestrators: [] } },
    });
    try {
      await expect.poll(() => outsider.fleet!.state().status, { timeout: 15_000 }).toBe('failed');
      expect(outsider.fleet!.state().lastError).toMatch(/could not connect.*authorization/i);
      expect(outsider.logs.join('')).toMatch(/fleet: could not connect/);
      expect((await client.discover({ maxWaitMs: 500 })).map((m) => m.machineId)).not.toContain(outsider.fleet!.machineId);
    } finally {
      await outsider.close();
    }
  }, 30_000);

  it('sees a kill -9 of a bridge within 20 s, and its live job is lost to the orchestrator', async () => {
    const victim = bridges[2]!;
    await client.discover({ maxWaitMs: 1_000 });
    const live = (await client.execute(victim.machineId, executeBody(secretFor(9)))) as { runId: string; state: string };
    expect(live.state).toBe('awaiting_permission');
    const outcome = client.waitForOutcome(victim.machineId, live.runId, { pollMs: 1_000 });
    const lost = lostSeen(victim.machineId);
    const killedAt = Date.now();
    await victim.kill9();
    await expect(lost).resolves.toMatchObject({ type: 'lost', machineId: victim.machineId, cause: 'silent' });
    expect(Date.now() - killedAt).toBeLessThan(20_000);
    await expect(outcome).resolves.toEqual({ state: 'lost', machineId: victim.machineId, runId: live.runId });
  }, 30_000);

  it('loses no acknowledged job event when a NATS node is killed, and a restarted orchestrator resumes without a gap', { timeout: 90_000 }, async () => {
    const bridge = bridges[0]!;
    const token = await bridge.uiToken();
    const runJob = async () => {
      const reply = (await client.execute(bridge.machineId, executeBody(secretFor(7)))) as { runId: string; promptId: string };
      await uiFetch(bridge, token, `/api/v1/system/permissions/prompts/${reply.promptId}/resolve`, { method: 'POST', body: { decision: 'allow_once' } });
      await client.waitForOutcome(bridge.machineId, reply.runId, { pollMs: 2_000 });
      return reply.runId;
    };
    const ended = (runId: string) => (events: ReceivedJobEvent[]) => events.some((e) => e.runId === runId && (e.status === 'completed' || e.type === 'system.command.completed'));
    /** Follows with the durable consumer until `done` holds; returns every stream sequence it handled (forged ones too). */
    const followUntil = async (done: (events: ReceivedJobEvent[]) => boolean) => {
      const events: ReceivedJobEvent[] = [];
      const seqs: number[] = [];
      let wake: () => void = () => {};
      const follower = await client.followJobs({
        durable: 'orchestrator-test',
        setupTimeoutMs: 45_000,
        onEvent: (event) => {
          events.push(event);
          seqs.push(event.streamSeq);
          wake();
        },
      });
      while (!done(events)) await new Promise<void>((resolve) => (wake = resolve));
      await follower.stop();
      return { events, seqs };
    };

    const before = await runJob();
    const first = await followUntil(ended(before));
    expect(first.events.filter((e) => e.runId === before).map((e) => e.type)).toContain('bridge.job.created');

    await cluster.nodes[0]!.kill();
    // Every event acknowledged before the kill is still stored on the surviving nodes.
    const jsm = await jetstreamManager(orchestratorNc, { checkAPI: false });
    for (const seq of first.seqs) {
      for (let attempt = 0; ; attempt++) {
        const stored = await jsm.streams.getMessage(JOB_EVENTS_STREAM, { seq }).then((m) => m !== null, () => false);
        if (stored) break;
        // Only while the stream elects a new leader.
        if (attempt > 120) expect.fail(`event ${seq} lost with node n1`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    // The bridge may have been on the killed node: it reconnects to another on its own.
    while (!(await client.discover({ maxWaitMs: 500 })).some((m) => m.machineId === bridge.machineId));
    const after = await runJob();

    // The orchestrator "restarts": the same durable consumer resumes after the last handled event.
    const resumed = await followUntil(ended(after));
    // Delivery is at least once: an ack still in flight at the "restart" may bring an event again.
    const handled = new Set([...first.seqs, ...resumed.seqs]);
    const ours = [...handled].sort((a, b) => a - b);
    expect(ours.at(-1)).toBeGreaterThan(Math.max(...first.seqs));
    expect(resumed.events.some((e) => e.runId === after && e.type === 'bridge.job.created')).toBe(true);
  });
});
