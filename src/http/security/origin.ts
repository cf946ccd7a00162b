/** What the origin check needs to know, read fresh on every request so settings apply at once. */
export interface OriginPolicy {
  port: number;
  dev: boolean;
  allowedOrigins: readonly string[];
}

export type OriginVerdict =
  | { ok: true; origin: string | null }
  | { ok: false; reason: string };

const NO_ORIGIN: OriginVerdict = Object.freeze({ ok: true, origin: null });
const DEV_ORIGIN = /^http:\/\/(?:localhost|127\.0\.0\.1)(?::\d{1,5})?$/;

/**
 * A present `Origin` must equal an allowed origin exactly: no prefix or pattern matching, `null`
 * and repeated headers refused. Requests without `Origin` (non-browser clients, same-origin GETs)
 * pass here and still need a token.
 */
export function checkOrigin(rawHeaders: readonly string[], policy: OriginPolicy): OriginVerdict {
  // Counted without collecting: only a name of six letters is lower-cased (every request pays this loop).
  let count = 0;
  let origin = '';
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === 6 && name.toLowerCase() === 'origin') {
      if (++count === 1) origin = rawHeaders[i + 1] ?? '';
    }
  }
  if (count === 0) return NO_ORIGIN;
  if (count > 1) return { ok: false, reason: 'duplicated Origin header' };
  if (origin === 'null') return { ok: false, reason: 'the opaque origin "null" is never allowed' };
  if (isAllowedOrigin(origin, policy)) return { ok: true, origin };
  return { ok: false, reason: `origin ${JSON.stringify(origin.slice(0, 200))} is not allowed` };
}

export function isAllowedOrigin(origin: string, policy: OriginPolicy): boolean {
  if (policy.allowedOrigins.includes(origin)) return true;
  // The bridge's own pages (the status window served at /ui/).
  if (ownOrigins(policy.port).has(origin)) return true;
  return policy.dev && DEV_ORIGIN.test(origin);
}

// Built once per port: building the three strings on every request was measurable (issue 15).
const ownOriginsByPort = new Map<number, ReadonlySet<string>>();
function ownOrigins(port: number): ReadonlySet<string> {
  let origins = ownOriginsByPort.get(port);
  if (!origins) {
    origins = new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`]);
    ownOriginsByPort.set(port, origins);
  }
  return origins;
}
