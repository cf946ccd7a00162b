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
    this.track(serverId, connection.close());
  }

  /**
   * Remembers work that may still own a server process until it settles: a closing, or a
   * connection attempt (a failed or aborted one kills its process before it settles).
   */
  track(serverId: string, work: Promise<unknown>): void {
    const pending = this.#closing.get(serverId) ?? new Set<Promise<void>>();
    this.#closing.set(serverId, pending);
    const settled = work.then(
      () => {},
      () => {},
    );
    pending.add(settled);
    void settled.finally(() => {
      pending.delete(settled);
      if (pending.size === 0 && this.#closing.get(serverId) === pending) this.#closing.delete(serverId);
    });
  }

  /**
   * Resolves once every closing of `serverId` (or of every server) has finished, including
   * closings that work still pending started (an attempt that connected after all is closed).
   */
  async settled(serverId?: string): Promise<void> {
    for (;;) {
      const sets = serverId === undefined ? [...this.#closing.values()] : [this.#closing.get(serverId) ?? new Set<Promise<void>>()];
      const pending = sets.flatMap((set) => [...set]);
      if (pending.length === 0) return;
      await Promise.all(pending);
    }
  }
}
