import { createAccount, createCurve, createUser, fromPublic } from '@nats-io/nkeys';
import { describe, expect, it } from 'vitest';
import { openJson, sealJson } from '../../src/fleet/sealing.js';
import { isCurvePublicKey, isSigningPublicKey, signText, verifyText } from '../../src/fleet/signing.js';

const encoder = new TextEncoder();

describe('fleet signatures', () => {
  it('are nkeys Ed25519 signatures: nkeys verifies them, and they verify what nkeys signs', () => {
    const user = createUser();
    const signature = signText(user, 'request', 'hello');
    const bytes = encoder.encode('osloop-fleet/request/v1\nhello');
    expect(fromPublic(user.getPublicKey()).verify(bytes, Buffer.from(signature, 'base64url'))).toBe(true);
    expect(verifyText(user.getPublicKey(), 'request', 'hello', Buffer.from(user.sign(bytes)).toString('base64url'))).toBe(true);
  });

  it('bind the domain, the text and the signer', () => {
    const user = createUser();
    const other = createUser();
    const signature = signText(user, 'request', 'body');
    expect(verifyText(user.getPublicKey(), 'request', 'body', signature)).toBe(true);
    expect(verifyText(user.getPublicKey(), 'reply', 'body', signature)).toBe(false);
    expect(verifyText(user.getPublicKey(), 'request', 'body!', signature)).toBe(false);
    expect(verifyText(other.getPublicKey(), 'request', 'body', signature)).toBe(false);
  });

  it.each([
    ['an empty signature', ''],
    ['a short one', 'AAAA'],
    ['garbage', '!!!not base64!!!'],
  ])('refuse %s', (_name, signature) => {
    expect(verifyText(createUser().getPublicKey(), 'request', 'body', signature)).toBe(false);
  });

  it('accept user and account keys as signers, not curve keys or broken checksums', () => {
    const user = createUser().getPublicKey();
    expect(isSigningPublicKey(user)).toBe(true);
    expect(isSigningPublicKey(createAccount().getPublicKey())).toBe(true);
    expect(isSigningPublicKey(createCurve().getPublicKey())).toBe(false);
    const flipped = user.slice(0, 10) + (user[10] === 'A' ? 'B' : 'A') + user.slice(11);
    expect(isSigningPublicKey(flipped)).toBe(false);
    expect(isCurvePublicKey(createCurve().getPublicKey())).toBe(true);
    expect(isCurvePublicKey(user)).toBe(false);
  });
});

describe('fleet sealing', () => {
  it('writes nkeys\' sealed format: nkeys opens what it seals, and it opens what nkeys seals', () => {
    const sender = createCurve();
    const recipient = createCurve();
    const sealed = sealJson(sender, recipient.getPublicKey(), { secret: 's3cr3t' });
    const opened = recipient.open(Buffer.from(sealed, 'base64url'), sender.getPublicKey());
    expect(JSON.parse(new TextDecoder().decode(opened!))).toEqual({ secret: 's3cr3t' });
    const byNkeys = Buffer.from(sender.seal(encoder.encode('{"a":1}'), recipient.getPublicKey())).toString('base64url');
    expect(openJson(recipient, sender.getPublicKey(), byNkeys)).toEqual({ a: 1 });
  });

  it('opens only for the recipient, from the sender it names, untampered', () => {
    const sender = createCurve();
    const recipient = createCurve();
    const stranger = createCurve();
    const sealed = sealJson(sender, recipient.getPublicKey(), { v: 'PLANTED' });
    expect(Buffer.from(sealed, 'base64url').toString('latin1')).not.toContain('PLANTED');
    expect(openJson(stranger, sender.getPublicKey(), sealed)).toBeUndefined();
    expect(openJson(recipient, stranger.getPublicKey(), sealed)).toBeUndefined();
    const bytes = Buffer.from(sealed, 'base64url');
    bytes[bytes.length - 1] ^= 1;
    expect(openJson(recipient, sender.getPublicKey(), bytes.toString('base64url'))).toBeUndefined();
    expect(openJson(recipient, sender.getPublicKey(), 'AAAA')).toBeUndefined();
  });
});
