import { Prefix, type KeyPair } from '@nats-io/nkeys';
// Not in the package's documented surface, but the codec every nkeys function is built on: it
// checks the prefix and CRC of a key and returns its raw 32 bytes.
import { Codec } from '@nats-io/nkeys/lib/codec.js';

/**
 * Raw key bytes for the native crypto: nkeys is the format (prefixes, checksums, seeds) and the
 * key generator; node:crypto and a cached NaCl box do the arithmetic, because nkeys' pure-JS
 * Ed25519 takes about 10 ms per signature here, which would cap the fleet at a few requests per
 * second (see bench/fleet.bench.ts).
 */
const encoder = new TextEncoder();

const PREFIX_BY_LETTER: Record<string, Prefix> = { U: Prefix.User, A: Prefix.Account, X: Prefix.Curve };

/** The raw 32-byte public key of an nkey public key string; throws for a bad prefix or checksum. */
export function rawPublicKey(publicKey: string): Uint8Array {
  const prefix = PREFIX_BY_LETTER[publicKey[0] ?? ''];
  if (prefix === undefined) throw new Error('not a user, account or curve public key');
  return Codec.decode(prefix, encoder.encode(publicKey));
}

/** The raw 32-byte seed of a key pair (Ed25519 seed, or X25519 secret for a curve pair). */
export function rawSeed(key: KeyPair): Uint8Array {
  return Codec.decodeSeed(key.getSeed()).buf;
}

const publicKeys = new WeakMap<KeyPair, string>();

/**
 * `key.getPublicKey()`, computed once per key pair: nkeys derives it from the seed on every call
 * (a scalar multiplication, milliseconds in pure JS).
 */
export function publicKeyOf(key: KeyPair): string {
  let publicKey = publicKeys.get(key);
  if (!publicKey) {
    publicKey = key.getPublicKey();
    publicKeys.set(key, publicKey);
  }
  return publicKey;
}
