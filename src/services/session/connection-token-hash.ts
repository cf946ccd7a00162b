import { hashToken } from './token.js';

/**
 * The hash of the session token a connection sent last, kept per connection: a browser sends the
 * same token on every request of a keep-alive connection, and hashing it again each time was a
 * measurable share of an authenticated request (issue 15). Only the pure token → hash step is
 * remembered; the session is still looked up by that hash and checked live on every request, so
 * a revoked or expired session is refused on the very next one. The entry lives as long as the
 * connection object (a WeakMap), which already holds the last request and its token, so no token
 * outlives the connection that carried it. A different token on the same connection is hashed
 * afresh; the comparison is with what that same connection sent, never with another's token.
 */
export function createConnectionTokenHasher(): (token: string, connection: object | undefined) => string {
  const last = new WeakMap<object, { token: string; hash: string }>();
  return (token, connection) => {
    if (!connection) return hashToken(token);
    const memo = last.get(connection);
    if (memo?.token === token) return memo.hash;
    const hash = hashToken(token);
    last.set(connection, { token, hash });
    return hash;
  };
}
