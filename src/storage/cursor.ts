import { BridgeError } from '../contract/errors.js';

/** Paging cursors are opaque to clients: a row sequence number, base64url-encoded. */
export function encodeCursor(seq: number): string {
  return Buffer.from(`s${seq}`).toString('base64url');
}

export function decodeCursor(cursor: string): number {
  const match = /^s(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new BridgeError('invalid_request', 'The cursor is not one this bridge returned.', { details: { in: 'query', field: 'cursor' } });
  return Number(match[1]);
}
