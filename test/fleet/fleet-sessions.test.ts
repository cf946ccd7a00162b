import { createCurve, createUser } from '@nats-io/nkeys';
import { describe, expect, it } from 'vitest';
import { createRefusalReply, ForgedReplyError } from '../../src/fleet/fleet-reply.js';
import { createFleetRequest, SESSION_OPEN_OPERATION, verifyFleetRequest } from '../../src/fleet/fleet-request.js';
import { identityFromSeeds } from '../../src/fleet/identity.js';
import { ReplayGuard } from '../../src/fleet/replay-guard.js';
import { deriveSessionKeys, newEphemeralKey } from '../../src/fleet/session-crypto.js';
import { createSessionReply, createSessionRequest, openSessionReply, verifySessionRequest, type ClientSession, type SessionVerifier } from '../../src/fleet/session-request.js';
import { SessionTable } from '../../src/fleet/session-table.js';

const decoder = new TextDecoder();
const newMachine = () => identityFromSeeds(decoder.decode(createUser().getSeed()), decoder.decode(createCurve().getSeed()));
/** A frame's bytes as text, byte for byte (latin1), to look for a planted secret or to tamper with it. */
const bytesText = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');
const fromBytesText = (text: string) => Buffer.from(text, 'latin1');
const body = { command: '/bin/echo', args: ['PLANTED-SECRET'], commandTemplate: '/bin/echo', argsTemplate: ['__OSL_SECRET[token]__'], reason: 'test' };

/** A bridge's session table and an orchestrator that opened sessions in it the way the client does. */
function setup(options: { ttlMs?: number; maxPerOrchestrator?: number } = {}) {
  const machine = newMachine();
  const orchestrator = { identity: createUser(), curve: createCurve() };
  const orchestratorKey = orchestrator.identity.getPublicKey();
  let now = 1_000_000;
  const paired = new Set([orchestratorKey]);
  const sessions = new SessionTable(machine.machineId, { ttlMs: () => options.ttlMs ?? 60_000, now: () => now, ...(options.maxPerOrchestrator ? { maxPerOrchestrator: options.maxPerOrchestrator } : {}) });
  const verifier: SessionVerifier = { machineId: machine.machineId, sessions, isPaired: (key) => paired.has(key), windowMs: 60_000, now: () => now };
  const openSession = (by = orchestratorKey): ClientSession => {
    const ephemeral = newEphemeralKey();
    const opened = sessions.open(by, ephemeral.publicKey)!;
    const keys = deriveSessionKeys(ephemeral.privateKey, opened.key, { sessionId: opened.sessionId, machine: machine.machineId, orchestrator: by, orchestratorKey: ephemeral.publicKey, bridgeKey: opened.key })!;
    return { id: opened.sessionId, machine: machine.machineId, keys, counter: 0, renewAt: now + opened.ttlMs };
  };
  const request = (session: ClientSession, op: Parameters<typeof createSessionRequest>[1], input: Parameters<typeof createSessionRequest>[2] = {}) => createSessionRequest(session, op, input, now);
  const verify = (wire: Uint8Array) => verifySessionRequest(wire, verifier);
  return { machine, orchestrator, orchestratorKey, sessions, verifier, paired, openSession, request, verify, now: () => now, advance: (ms: number) => (now += ms) };
}

describe('a fleet session', () => {
  it('is opened by a signed handshake that goes through every check of a signed request', () => {
    const machine = newMachine();
    const orchestrator = { identity: createUser(), curve: createCurve() };
    const ephemeral = newEphemeralKey();
    const { wire } = createFleetRequest(orchestrator, { machine: machine.machineId, curveKey: machine.curveKey }, SESSION_OPEN_OPERATION, { body: { key: ephemeral.publicKey } });
    const verifier = { machineId: machine.machineId, curve: machine.curve, isPaired: () => true, replay: new ReplayGuard(60_000) };
    expect(verifyFleetRequest(wire, verifier)).toMatchObject({ ok: true, request: { op: SESSION_OPEN_OPERATION, body: { key: ephemeral.publicKey } } });
    // The same handshake again is a replay; from a stranger, unpaired.
    expect(verifyFleetRequest(wire, verifier)).toMatchObject({ ok: false, refusal: { reason: 'replayed' } });
    expect(verifyFleetRequest(wire, { ...verifier, replay: new ReplayGuard(60_000), isPaired: () => false })).toMatchObject({ ok: false, refusal: { reason: 'unpaired' } });
  });

  it('refuses a handshake key that is no X25519 key, or a low-order one', () => {
    const { sessions, orchestratorKey } = setup();
    expect(sessions.open(orchestratorKey, 'not-a-key')).toBeNull();
    expect(sessions.open(orchestratorKey, Buffer.alloc(32).toString('base64url'))).toBeNull();
  });

  it('carries requests under its keys: verified, resolved fields sealed, templates in clear, the principal from the session', () => {
    const { openSession, verify, orchestratorKey, request } = setup();
    const session = openSession();
    const { wire } = request(session, 'execute', { body });
    expect(bytesText(wire)).not.toContain('PLANTED-SECRET');
    expect(bytesText(wire)).toContain('__OSL_SECRET[token]__');
    expect(verify(wire)).toMatchObject({ ok: true, call: { op: 'execute', orchestrator: orchestratorKey, body } });
  });

  it('refuses a request MAC\'d with another session\'s key', () => {
    const { openSession, verify, request } = setup();
    const mine = openSession();
    const other = openSession();
    const forged = request({ ...other, id: mine.id }, 'runs', {}).wire;
    expect(verify(forged)).toMatchObject({ ok: false, refusal: { code: 'unauthorized', reason: 'bad_signature' } });
  });

  it('refuses a tampered request, or one moved to another operation', () => {
    const { openSession, verify, request } = setup();
    const session = openSession();
    const tampered = bytesText(request(session, 'execute', { body }).wire).replace('/bin/echo', '/bin/rm');
    expect(verify(fromBytesText(tampered))).toMatchObject({ ok: false, refusal: { reason: 'bad_signature' } });
    const moved = bytesText(request(session, 'runs', {}).wire).replace('"op":"runs"', '"op":"terminate"');
    expect(verify(fromBytesText(moved))).toMatchObject({ ok: false, refusal: { reason: 'bad_signature' } });
  });

  it('refuses a counter replay, also one overtaken by later requests', () => {
    const { openSession, verify, request } = setup();
    const session = openSession();
    const first = request(session, 'runs', {}).wire;
    const second = request(session, 'runs', {}).wire;
    expect(verify(second).ok).toBe(true);
    expect(verify(first).ok).toBe(true);
    expect(verify(first)).toMatchObject({ ok: false, refusal: { code: 'unauthorized', reason: 'replayed' } });
    expect(verify(second)).toMatchObject({ ok: false, refusal: { reason: 'replayed' } });
  });

  it('refuses a request for another machine, and a stale one', () => {
    const { openSession, verify, advance, request } = setup({ ttlMs: 10 * 60_000 });
    const session = openSession();
    expect(verify(request({ ...session, machine: newMachine().machineId }, 'runs', {}).wire)).toMatchObject({ ok: false, refusal: { code: 'forbidden', reason: 'wrong_machine' } });
    const late = request(session, 'runs', {}).wire;
    advance(61_000);
    expect(verify(late)).toMatchObject({ ok: false, refusal: { reason: 'stale' } });
  });

  it('expires after its time to live: the bridge says so and forgets it', () => {
    const { openSession, verify, advance, sessions, request } = setup({ ttlMs: 5_000 });
    const session = openSession();
    expect(verify(request(session, 'runs', {}).wire).ok).toBe(true);
    advance(5_000);
    expect(verify(request(session, 'runs', {}).wire)).toMatchObject({ ok: false, refusal: { code: 'unauthorized', reason: 'session_expired' } });
    expect(sessions.size).toBe(0);
    expect(verify(request(session, 'runs', {}).wire)).toMatchObject({ ok: false, refusal: { reason: 'session_unknown' } });
  });

  it('dies at once when its orchestrator is unpaired, with every other session of it', () => {
    const { openSession, verify, paired, orchestratorKey, sessions, request } = setup();
    const [a, b] = [openSession(), openSession()];
    expect(verify(request(a, 'runs', {}).wire).ok).toBe(true);
    paired.delete(orchestratorKey);
    expect(verify(request(a, 'runs', {}).wire)).toMatchObject({ ok: false, refusal: { code: 'forbidden', reason: 'unpaired' } });
    expect(sessions.size).toBe(0);
    // Paired again later: the old sessions stay dead.
    paired.add(orchestratorKey);
    expect(verify(request(b, 'runs', {}).wire)).toMatchObject({ ok: false, refusal: { reason: 'session_unknown' } });
  });

  it('is bounded per orchestrator: one more closes the oldest', () => {
    const { openSession, verify, sessions, request } = setup({ maxPerOrchestrator: 2 });
    const oldest = openSession();
    const kept = [openSession(), openSession()];
    expect(sessions.size).toBe(2);
    expect(verify(request(oldest, 'runs', {}).wire)).toMatchObject({ ok: false, refusal: { reason: 'session_unknown' } });
    for (const session of kept) expect(verify(request(session, 'runs', {}).wire).ok).toBe(true);
  });

  it('is unknown to a restarted bridge (a new table)', () => {
    const { openSession, verifier, request } = setup();
    const session = openSession();
    const restarted = { ...verifier, sessions: new SessionTable(verifier.machineId, { ttlMs: () => 60_000 }) };
    expect(verifySessionRequest(request(session, 'runs', {}).wire, restarted)).toMatchObject({ ok: false, refusal: { reason: 'session_unknown' } });
  });
});

describe('a session reply', () => {
  it('opens only for the request and session it answers, and hides the outcome', () => {
    const { openSession, verify, machine, request } = setup();
    const session = openSession();
    const { wire, counter } = request(session, 'details', { params: { runId: 'r1' } });
    const verified = verify(wire);
    if (!verified.ok) throw new Error('not verified');
    const reply = createSessionReply(machine.machineId, verified.session, counter, { ok: true, value: { stdout: 'PLANTED-SECRET' } });
    expect(bytesText(reply)).not.toContain('PLANTED-SECRET');
    const signedRefusal = { machineCurveKey: machine.curveKey, curve: createCurve() };
    expect(openSessionReply(reply, { session, counter, signedRefusal })).toEqual({ ok: true, value: { stdout: 'PLANTED-SECRET' } });
    expect(() => openSessionReply(reply, { session, counter: counter + 1, signedRefusal })).toThrow(ForgedReplyError);
    expect(() => openSessionReply(reply, { session: openSession(), counter, signedRefusal })).toThrow(ForgedReplyError);
    // Sealed by another machine in the same session keys, or changed by one bit on the way: refused.
    const fromElsewhere = createSessionReply(newMachine().machineId, verified.session, counter, { ok: true, value: {} });
    expect(() => openSessionReply(fromElsewhere, { session, counter, signedRefusal })).toThrow(ForgedReplyError);
    const flipped = Buffer.from(reply);
    flipped[flipped.length - 20]! ^= 1;
    expect(() => openSessionReply(flipped, { session, counter, signedRefusal })).toThrow(ForgedReplyError);
  });

  it('takes a refusal only signed by the machine, naming this request, and never a signed outcome', () => {
    const { openSession, machine } = setup();
    const session = openSession();
    const signedRefusal = { machineCurveKey: machine.curveKey, curve: createCurve() };
    expect(openSessionReply(refusalFor(machine, `${session.id}.1`), { session, counter: 1, signedRefusal })).toMatchObject({ ok: false, error: { reason: 'session_unknown' } });
    expect(() => openSessionReply(refusalFor(machine, `${session.id}.2`), { session, counter: 1, signedRefusal })).toThrow(ForgedReplyError);
    expect(() => openSessionReply(refusalFor(newMachine(), `${session.id}.1`), { session, counter: 1, signedRefusal })).toThrow(ForgedReplyError);
  });
});

/** What the edge answers to a session it does not know: a refusal signed by the machine. */
function refusalFor(machine: ReturnType<typeof newMachine>, nonce: string): Buffer {
  return Buffer.from(createRefusalReply(machine, { code: 'unauthorized', reason: 'session_unknown', message: 'no such session', nonce }));
}
