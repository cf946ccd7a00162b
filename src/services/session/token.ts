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

/** A subject-safe random id with a readable prefix (`ses_…`, `run_…`). */
export const newId = (prefix: string): string => `${prefix}_${randomBytes(12).toString('hex')}`;
