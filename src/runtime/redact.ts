/**
 * Keys whose values never leave an actor: tokens, resolved command values (which may hold
 * secrets the web app interpolated), environment, stdin and raw output.
 */
const HIDDEN_KEYS = new Set([
  'token',
  'tokenHash',
  'sessionToken',
  'uiToken',
  'resolved',
  'env',
  'stdin',
  'headers',
  'stdout',
  'stderr',
  'output',
  'arguments',
  'content',
]);

const MAX_DEPTH = 4;
const MAX_STRING = 200;
const MAX_ITEMS = 20;

/**
 * A JSON-safe summary of an actor's context for the bus and the inspector: hidden keys are
 * replaced by a marker, actor references by their id, long strings and arrays are cut.
 */
export function redactContext(context: unknown): Record<string, unknown> {
  const summary = summarise(context, 0);
  return summary && typeof summary === 'object' && !Array.isArray(summary) ? (summary as Record<string, unknown>) : {};
}

function summarise(value: unknown, depth: number): unknown {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'string') return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
  if (typeof value === 'undefined' || typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (typeof value === 'bigint') return value.toString();
  if (isActorRef(value)) return { actorRef: value.id };
  if (depth >= MAX_DEPTH) return '[…]';
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ITEMS).map((item) => summarise(item, depth + 1));
    return value.length > MAX_ITEMS ? [...items, `… ${value.length - MAX_ITEMS} more`] : items;
  }
  if (value instanceof Map) return { size: value.size };
  if (value instanceof Set) return { size: value.size };
  if (value instanceof Date) return value.toISOString();
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    if (HIDDEN_KEYS.has(key)) {
      out[key] = '[hidden]';
      continue;
    }
    const summarised = summarise(inner, depth + 1);
    if (summarised !== undefined) out[key] = summarised;
  }
  return out;
}

function isActorRef(value: unknown): value is { id: string } {
  return typeof value === 'object' && value !== null && 'sessionId' in value && 'send' in value && 'getSnapshot' in value;
}
