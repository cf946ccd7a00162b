import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { KeyPair } from '@nats-io/nkeys';
import { rawPublicKey, rawSeed } from './nkey-bytes.js';

/**
 * Ed25519 signatures over text by nkeys, with a domain string in front so that a signature made
 * for one purpose (a reply) can never pass as another (a request). The signature bytes are
 * exactly nkeys' own (`KeyPair.sign`/`verify` accept them: Ed25519 is deterministic); the
 * arithmetic is node:crypto's.
 */
export type SigningDomain = 'request' | 'reply' | 'event' | 'presence' | 'curve-key';

// DER wrappers that turn raw Ed25519 keys into the PKCS#8 / SPKI forms node:crypto imports.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

const privateKeys = new WeakMap<KeyPair, KeyObject>();
/** Public keys seen lately; bounded, since signers come from the wire. */
const publicKeys = new Map<string, KeyObject | null>();
const PUBLIC_CACHE_LIMIT = 1024;

function privateKeyOf(key: KeyPair): KeyObject {
  let object = privateKeys.get(key);
  if (!object) {
    object = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, rawSeed(key)]), format: 'der', type: 'pkcs8' });
    privateKeys.set(key, object);
  }
  return object;
}

/** The verifying key of a user (U…) or account (A…) nkey, or null when it is not one. */
function publicKeyOf(signer: string): KeyObject | null {
  const cached = publicKeys.get(signer);
  if (cached !== undefined) return cached;
  let object: KeyObject | null = null;
  if (signer[0] === 'U' || signer[0] === 'A') {
    try {
      object = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, rawPublicKey(signer)]), format: 'der', type: 'spki' });
    } catch {
      object = null;
    }
  }
  if (publicKeys.size >= PUBLIC_CACHE_LIMIT) publicKeys.delete(publicKeys.keys().next().value as string);
  publicKeys.set(signer, object);
  return object;
}

function signedBytes(domain: SigningDomain, text: string): Buffer {
  return Buffer.from(`osloop-fleet/${domain}/v1\n${text}`);
}

/** Signs `text` for `domain`; the signature is base64url. */
export function signText(key: KeyPair, domain: SigningDomain, text: string): string {
  return sign(null, signedBytes(domain, text), privateKeyOf(key)).toString('base64url');
}

/** True when `signature` is `signer`'s signature of `text` for `domain`; false for any malformed input. */
export function verifyText(signer: string, domain: SigningDomain, text: string, signature: string): boolean {
  const key = publicKeyOf(signer);
  if (!key) return false;
  const signatureBytes = Buffer.from(signature, 'base64url');
  if (signatureBytes.length !== 64) return false;
  try {
    return verify(null, signedBytes(domain, text), key, signatureBytes);
  } catch {
    return false;
  }
}

/** Hex SHA-256 of text, as the request header names its payload. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** True for an nkey public key that can sign: a user (U…) or account (A…) key with a valid checksum. */
export function isSigningPublicKey(value: string): boolean {
  return /^[UA][A-Z2-7]{55}$/.test(value) && publicKeyOf(value) !== null;
}

/** True for a curve (X…) public key with a valid checksum, the kind payloads are sealed to. */
export function isCurvePublicKey(value: string): boolean {
  if (!/^X[A-Z2-7]{55}$/.test(value)) return false;
  try {
    rawPublicKey(value);
    return true;
  } catch {
    return false;
  }
}
