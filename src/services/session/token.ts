import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh bearer token: 256 bits from the OS CSPRNG, base64url. */
export const newToken = (): string => randomBytes(32).toString('base64url');

/**
 * Tokens are kept and looked up by this hash only, so a memory dump shows no usable token. The
 * one-shot `hash` (not `createHash`): this runs on every authenticated request.
 */
export const hashToken = (token: string): string => hash('sha256', token, 'hex');

/** Constant-time comparison of two tokens (or their hashes). */
export function tokensEqual(a: string, b: string): boolean {
  const left = Buffer.from(hashToken(a), 'hex');
  const right = Buffer.from(hashToken(b), 'hex');
  return timingSafeEqual(left, right);
}

const ID_BYTES = 12;
/**
 * Ids draw their 96 bits from a pool filled by one CSPRNG call per 256 ids (as randomUUID does):
 * a command run takes several ids, and a randomBytes call each was a visible part of its cost
 * (docs/performance.md, "Commands under load"). Each byte of the pool is used once.
 */
const ID_POOL_BYTES = ID_BYTES * 256;
let idPool = Buffer.alloc(0);
let idPoolOffset = 0;

/** A subject-safe random id with a readable prefix (`ses_…`, `run_…`). */
export function newId(prefix: string): string {
  if (idPoolOffset + ID_BYTES > idPool.length) {
    idPool = randomBytes(ID_POOL_BYTES);
    idPoolOffset = 0;
  }
  const id = idPool.toString('hex', idPoolOffset, idPoolOffset + ID_BYTES);
  idPoolOffset += ID_BYTES;
  return `${prefix}_${id}`;
}
