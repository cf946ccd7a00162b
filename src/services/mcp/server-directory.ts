import type { McpTransportSpec } from '../../mcp/connector.js';
import type { McpRegistryStore } from './registry-store.js';
import { specFromTemplate, type ServerRecord } from './server-record.js';
import { StderrTail } from './stderr-tail.js';

/**
 * What the bridge knows about each registered server besides its actor: the persisted record,
 * the resolved transport values (memory only) and its stderr tail. Machine effects read it;
 * only the servers service changes it.
 */
export class ServerDirectory {
  readonly #resolved = new Map<string, McpTransportSpec>();
  readonly #tails = new Map<string, StderrTail>();

  constructor(
    readonly store: McpRegistryStore,
    private readonly tailLines: () => number,
  ) {}

  record(serverId: string): ServerRecord | undefined {
    return this.store.get(serverId);
  }

  /** The values to connect with, or null when they differ from the template and were lost. */
  spec(serverId: string): McpTransportSpec | null {
    const resolved = this.#resolved.get(serverId);
    if (resolved) return resolved;
    const record = this.store.get(serverId);
    return record && !record.needsResolvedValues ? specFromTemplate(record.transport) : null;
  }

  setResolved(serverId: string, spec: McpTransportSpec): void {
    this.#resolved.set(serverId, spec);
  }

  tail(serverId: string): StderrTail {
    let tail = this.#tails.get(serverId);
    if (!tail) {
      tail = new StderrTail(this.tailLines());
      this.#tails.set(serverId, tail);
    }
    return tail;
  }

  /** Drops the memory-only state of a removed server. */
  forget(serverId: string): void {
    this.#resolved.delete(serverId);
    this.#tails.delete(serverId);
  }
}
