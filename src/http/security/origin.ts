/** What the origin check needs to know, read fresh on every request so settings apply at once. */
export interface OriginPolicy {
  port: number;
  dev: boolean;
  allowedOrigins: readonly string[];
}

export type OriginVerdict =
  | { ok: true; origin: string | null }
  | { ok: false; reason: string };

const DEV_ORIGIN = /^http:\/\/(?:localhost|127\.0\.0\.1)(?::\d{1,5})?$/;

/**
 * A present `Origin` must equal an allowed origin exactly: no prefix or pattern matching, `null`
 * and repeated headers refused. Requests without `Origin` (non-browser clients, same-origin GETs)
 * pass here and still need a token.
 */
export function checkOrigin(rawHeaders: readonly string[], policy: OriginPolicy): OriginVerdict {
  const values: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() === 'origin') values.push(rawHeaders[i + 1] ?? '');
  }
  if (values.length === 0) return { ok: true, origin: null };
  if (values.length > 1) return { ok: false, reason: 'duplicated Origin header' };
  const origin = values[0]!;
  if (origin === 'null') return { ok: false, reason: 'the opaque origin "null" is never allowed' };
  if (isAllowedOrigin(origin, policy)) return { ok: true, origin };
  return { ok: false, reason: `origin ${JSON.stringify(origin.slice(0, 200))} is not allowed` };
}

export function isAllowedOrigin(origin: string, policy: OriginPolicy): boolean {
  if (policy.allowedOrigins.includes(origin)) return true;
  // The bridge's own pages (the status window served at /ui/).
  if (origin === `http://127.0.0.1:${policy.port}` || origin === `http://localhost:${policy.port}` || origin === `http://[::1]:${policy.port}`) return true;
  return policy.dev && DEV_ORIGIN.test(origin);
}
