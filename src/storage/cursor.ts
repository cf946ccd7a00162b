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

/**
 * One page from rows fetched newest first with `LIMIT limit + 1`: the extra row only says that
 * there is more, and the cursor continues after the last row kept.
 */
export function pageOf<R extends { seq: number }, T>(rows: readonly R[], limit: number, read: (row: R) => T): { items: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  return {
    items: page.map(read),
    nextCursor: rows.length > limit ? encodeCursor(page.at(-1)!.seq) : null,
  };
}
