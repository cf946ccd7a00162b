import type { McpConnection } from '../../mcp/connector.js';

/**
 * The open MCP sessions, by server. Connection actors put a session here once it is ready and
 * close it through here, so calls can reach it without going through the actor, and whoever
 * must know that a server's process is gone (disconnect, delete, bridge stop) can wait for it.
 */
export class LiveConnections {
  readonly #current = new Map<string, McpConnection>();
  readonly #closing = new Map<string, Set<Promise<void>>>();

  set(serverId: string, connection: McpConnection): void {
    this.#current.set(serverId, connection);
  }

  get(serverId: string): McpConnection | undefined {
    return this.#current.get(serverId);
  }

  /** Forgets `connection` if it is still the server's current one (it ended on its own). */
  forget(serverId: string, connection: McpConnection): void {
    if (this.#current.get(serverId) === connection) this.#current.delete(serverId);
  }

  /** Closes `connection` and remembers the closing until it is done. */
  close(serverId: string, connection: McpConnection): void {
    this.forget(serverId, connection);
    const pending = this.#closing.get(serverId) ?? new Set<Promise<void>>();
    this.#closing.set(serverId, pending);
    const closing = connection.close().catch(() => {});
    pending.add(closing);
    void closing.finally(() => {
      pending.delete(closing);
      if (pending.size === 0 && this.#closing.get(serverId) === pending) this.#closing.delete(serverId);
    });
  }

  /** Resolves once every closing of `serverId` (or of every server) has finished. */
  async settled(serverId?: string): Promise<void> {
    const sets = serverId === undefined ? [...this.#closing.values()] : [this.#closing.get(serverId) ?? new Set<Promise<void>>()];
    await Promise.all(sets.flatMap((set) => [...set]));
  }
}
