import { createCurve, createUser } from '@nats-io/nkeys';
import { describe, expect, it } from 'vitest';
import { createRefusalReply, createSealedReply, ForgedReplyError, openFleetReply } from '../../src/fleet/fleet-reply.js';
import { createFleetRequest, verifyFleetRequest, type RequestVerifier } from '../../src/fleet/fleet-request.js';
import { identityFromSeeds } from '../../src/fleet/identity.js';
import { ReplayGuard } from '../../src/fleet/replay-guard.js';
import { sha256Hex, signText } from '../../src/fleet/signing.js';

const decoder = new TextDecoder();
const newMachine = () => identityFromSeeds(decoder.decode(createUser().getSeed()), decoder.decode(createCurve().getSeed()));
const newOrchestrator = () => ({ identity: createUser(), curve: createCurve() });

function setup(options: { paired?: boolean } = {}) {
  const machine = newMachine();
  const orchestrator = newOrchestrator();
  let now = 1_000_000;
  const verifier: RequestVerifier = {
    machineId: machine.machineId,
    curve: machine.curve,
    isPaired: (key) => (options.paired ?? true) && key === orchestrator.identity.getPublicKey(),
    replay: new ReplayGuard(60_000, () => now),
  };
  const target = { machine: machine.machineId, curveKey: machine.curveKey };
  return { machine, orchestrator, verifier, target, setNow: (t: number) => (now = t), now: () => now };
}

const body = { command: '/bin/echo', args: ['PLANTED-SECRET'], commandTemplate: '/bin/echo', argsTemplate: ['__OSL_SECRET[token]__'], reason: 'test' };

describe('a fleet request', () => {
  it('arrives verified, with resolved fields sealed and templates in clear', () => {
    const { orchestrator, verifier, target, now } = setup();
    const { wire } = createFleetRequest(orchestrator, target, 'execute', { body }, now());
    expect(wire).not.toContain('PLANTED-SECRET');
    expect(wire).toContain('__OSL_SECRET[token]__');
    const result = verifyFleetRequest(wire, verifier);
    expect(result).toMatchObject({ ok: true, request: { op: 'execute', orchestrator: orchestrator.identity.getPublicKey(), body } });
  });

  it('is refused when replayed, stale, unsigned, unpaired, for another machine or tampered', () => {
    const { orchestrator, verifier, target, now, setNow } = setup();
    const { wire } = createFleetRequest(orchestrator, target, 'info', {}, now());
    expect(verifyFleetRequest(wire, verifier).ok).toBe(true);
    expect(verifyFleetRequest(wire, verifier)).toMatchObject({ ok: false, refusal: { code: 'unauthorized', reason: 'replayed' } });

    const late = createFleetRequest(orchestrator, target, 'info', {}, now()).wire;
    setNow(now() + 61_000);
    expect(verifyFleetRequest(late, verifier)).toMatchObject({ ok: false, refusal: { reason: 'stale' } });

    const unsigned = JSON.parse(createFleetRequest(orchestrator, target, 'info', {}, now()).wire) as Record<string, unknown>;
    delete unsigned.sig;
    expect(verifyFleetRequest(JSON.stringify(unsigned), verifier)).toMatchObject({ ok: false, refusal: { code: 'unauthorized', reason: 'unsigned' } });

    const stranger = newOrchestrator();
    expect(verifyFleetRequest(createFleetRequest(stranger, target, 'info', {}, now()).wire, verifier)).toMatchObject({ ok: false, refusal: { code: 'forbidden', reason: 'unpaired' } });

    const other = newMachine();
    const elsewhere = createFleetRequest(orchestrator, { machine: other.machineId, curveKey: other.curveKey }, 'info', {}, now()).wire;
    expect(verifyFleetRequest(elsewhere, verifier)).toMatchObject({ ok: false, refusal: { code: 'forbidden', reason: 'wrong_machine' } });

    const tampered = JSON.parse(createFleetRequest(orchestrator, target, 'execute', { body }, now()).wire) as { payload: string };
    tampered.payload = tampered.payload.replace('/bin/echo', '/bin/rm');
    expect(verifyFleetRequest(JSON.stringify(tampered), verifier)).toMatchObject({ ok: false, refusal: { reason: 'bad_signature' } });
  });

  it('cannot move a signature to another operation or header', () => {
    const { orchestrator, verifier, target, now } = setup();
    const wire = JSON.parse(createFleetRequest(orchestrator, target, 'runs', {}, now()).wire) as { header: string };
    wire.header = wire.header.replace('"op":"runs"', '"op":"terminate"');
    expect(verifyFleetRequest(JSON.stringify(wire), verifier)).toMatchObject({ ok: false, refusal: { reason: 'bad_signature' } });
  });

  it('claims no principal: a principal field in a properly signed payload is refused, not trusted', () => {
    const { orchestrator, verifier, target, now } = setup();
    const wire = JSON.parse(createFleetRequest(orchestrator, target, 'info', {}, now()).wire) as { header: string; payload: string };
    const payload = JSON.stringify({ ...(JSON.parse(wire.payload) as object), principal: { kind: 'ui' } });
    const header = JSON.stringify({ ...(JSON.parse(wire.header) as object), payloadHash: sha256Hex(payload) });
    const resigned = JSON.stringify({ header, payload, sig: signText(orchestrator.identity, 'request', header) });
    expect(verifyFleetRequest(resigned, verifier)).toMatchObject({ ok: false, refusal: { code: 'invalid_request', reason: 'malformed' } });
  });
});

describe('a fleet reply', () => {
  it('opens only for the request it answers, from the machine asked', () => {
    const { machine, orchestrator } = setup();
    const reply = createSealedReply(machine, { nonce: 'n'.repeat(24), replyKey: orchestrator.curve.getPublicKey() }, { ok: true, value: { stdout: 'PLANTED-SECRET' } });
    expect(reply).not.toContain('PLANTED-SECRET');
    const expectFor = { machine: machine.machineId, machineCurveKey: machine.curveKey, nonce: 'n'.repeat(24), curve: orchestrator.curve };
    expect(openFleetReply(reply, expectFor)).toEqual({ ok: true, value: { stdout: 'PLANTED-SECRET' } });
    expect(() => openFleetReply(reply, { ...expectFor, nonce: 'm'.repeat(24) })).toThrow(ForgedReplyError);
    const impostor = newMachine();
    expect(() => openFleetReply(reply, { ...expectFor, machine: impostor.machineId })).toThrow(ForgedReplyError);
  });

  it('refuses an outcome forged by another key, even one that copies the body', () => {
    const { machine, orchestrator } = setup();
    const impostor = newMachine();
    const nonce = 'n'.repeat(24);
    const forged = JSON.parse(createSealedReply(impostor, { nonce, replyKey: orchestrator.curve.getPublicKey() }, { ok: true, value: { state: 'completed' } })) as { body: string; sig: string };
    const body = JSON.parse(forged.body) as Record<string, unknown>;
    body.machine = machine.machineId;
    const relabelled = JSON.stringify({ body: JSON.stringify(body), sig: forged.sig });
    expect(() => openFleetReply(relabelled, { machine: machine.machineId, machineCurveKey: machine.curveKey, nonce, curve: orchestrator.curve })).toThrow(ForgedReplyError);
  });

  it('carries refusals in clear, signed', () => {
    const { machine, orchestrator } = setup();
    const reply = createRefusalReply(machine, { code: 'forbidden', reason: 'unpaired', message: 'not paired', nonce: 'n'.repeat(24) });
    expect(openFleetReply(reply, { machine: machine.machineId, machineCurveKey: machine.curveKey, nonce: 'n'.repeat(24), curve: orchestrator.curve })).toEqual({
      ok: false,
      error: { code: 'forbidden', message: 'not paired', reason: 'unpaired' },
    });
  });
});
