import type { Bus } from '../../bus/bus.js';
import type { Subjects } from '../../bus/subjects.js';
import type { McpServerNotification } from '../../mcp/connector.js';
import { isoAt, type Clock } from '../../runtime/clock.js';

/** Log messages kept per server for the MCP page. */
const LOG_MESSAGES_KEPT = 200;
/** Past this much JSON, a message's data becomes a string preview. */
const MAX_LOG_DATA_CHARS = 8_192;

export interface LogEntry {
  serverId: string;
  level: string;
  logger: string | null;
  data: unknown;
  truncated: boolean;
  at: string;
}

/**
 * What servers announce besides list changes: resource updates become `mcp.resource.updated`;
 * log messages become `mcp.server.log`, their data bounded, and the last few are kept for the
 * MCP page.
 */
export class ServerNotifications {
  readonly #logs = new Map<string, LogEntry[]>();

  constructor(private readonly deps: { bus: Bus; subjects: Subjects; clock: Clock }) {}

  deliver(serverId: string, notification: McpServerNotification): void {
    if (notification.kind === 'resource_updated') {
      this.deps.bus.publish(this.deps.subjects.event('mcp.resource.updated'), { serverId, uri: notification.uri });
      return;
    }
    const entry: LogEntry = { serverId, level: notification.level, logger: notification.logger, ...bounded(notification.data), at: isoAt(this.deps.clock.now()) };
    const kept = this.#logs.get(serverId) ?? [];
    kept.push(entry);
    if (kept.length > LOG_MESSAGES_KEPT) kept.splice(0, kept.length - LOG_MESSAGES_KEPT);
    this.#logs.set(serverId, kept);
    this.deps.bus.publish(this.deps.subjects.event('mcp.server.log'), entry);
  }

  logs(serverId: string): LogEntry[] {
    return [...(this.#logs.get(serverId) ?? [])];
  }

  forget(serverId: string): void {
    this.#logs.delete(serverId);
  }
}

function bounded(data: unknown): { data: unknown; truncated: boolean } {
  let text: string;
  try {
    text = JSON.stringify(data) ?? 'null';
  } catch {
    return { data: '[data that is not JSON]', truncated: true };
  }
  return text.length <= MAX_LOG_DATA_CHARS ? { data, truncated: false } : { data: `${text.slice(0, MAX_LOG_DATA_CHARS)}…`, truncated: true };
}
