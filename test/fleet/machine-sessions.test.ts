import { createCurve, createUser } from '@nats-io/nkeys';
import { describe, expect, it } from 'vitest';
import { MachineSessions, SessionOpenError } from '../../src/fleet/client/machine-sessions.js';
import { createRefusalReply, createSealedReply, type FleetOutcome } from '../../src/fleet/fleet-reply.js';
import { verifyFleetRequest } from '../../src/fleet/fleet-request.js';
import { identityFromSeeds } from '../../src/fleet/identity.js';
import { ReplayGuard } from '../../src/fleet/replay-guard.js';
import { SessionTable } from '../../src/fleet/session-table.js';

const decoder = new TextDecoder();

/** The orchestrator's session cache against the bridge's own handshake code, with no NATS in between. */
function setup(options: { paired?: boolean } = {}) {
  const machine = identityFromSeeds(decoder.decode(createUser().getSeed()), decoder.decode(createCurve().getSeed()));
  const keys = { identity: createUser(), curve: createCurve() };
  const orchestratorKey = keys.identity.getPublicKey();
  let now = 1_000_000;
  const table = new SessionTable(machine.machineId, { ttlMs: () => 10_000, now: () => now });
  const replay = new ReplayGuard(60_000, () => now);
  let handshakes = 0;
  const send = async (_machineId: string, _op: string, wire: string): Promise<string> => {
    handshakes++;
    const verified = verifyFleetRequest(wire, { machineId: machine.machineId, curve: machine.curve, isPaired: () => options.paired ?? true, replay });
    if (!verified.ok) return createRefusalReply(machine, verified.refusal);
    const opened = table.open(verified.request.orchestrator, verified.request.body?.key);
    const outcome: FleetOutcome = opened ? { ok: true, value: opened } : { ok: false, error: { code: 'invalid_request', message: 'bad key' } };
    return createSealedReply(machine, { nonce: verified.request.nonce, replyKey: verified.request.replyKey }, outcome);
  };
  const sessions = new MachineSessions(keys, orchestratorKey, send, () => now);
  const target = { machineId: machine.machineId, curveKey: machine.curveKey, bridgeVersion: '', protocol: 'v1', serviceId: 's', endpoints: [] };
  return { sessions, target, table, handshakes: () => handshakes, advance: (ms: number) => (now += ms) };
}

describe('the orchestrator\'s sessions', () => {
  it('open one session per machine, shared by concurrent requests, whose keys match the bridge\'s', async () => {
    const { sessions, target, table, handshakes } = setup();
    const [a, b] = await Promise.all([sessions.get(target), sessions.get(target)]);
    expect(a).toBe(b);
    expect(handshakes()).toBe(1);
    const held = table.find(a.id);
    expect(held.ok && held.session.keys.requestMac.equals(a.keys.requestMac)).toBe(true);
  });

  it('renew a session before it expires, and open a new one once dropped', async () => {
    const { sessions, target, handshakes, advance } = setup();
    const first = await sessions.get(target);
    advance(7_000);
    expect(await sessions.get(target)).toBe(first);
    advance(1_000);
    const renewed = await sessions.get(target);
    expect(renewed.id).not.toBe(first.id);
    sessions.drop(renewed);
    expect((await sessions.get(target)).id).not.toBe(renewed.id);
    expect(handshakes()).toBe(3);
  });

  it('report a refused handshake with its code and reason', async () => {
    const { sessions, target } = setup({ paired: false });
    const refused = await sessions.get(target).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(SessionOpenError);
    expect(refused).toMatchObject({ code: 'forbidden', reason: 'unpaired' });
  });
});
