/**
 * Recognises the usual ways a client mangles a contract path (a doubled `/api/v1` prefix, doubled
 * slashes, a trailing slash) and returns the canonical path to hint at, or null.
 */
export function canonicalHint(path: string): string | null {
  let fixed = path;
  while (fixed.startsWith('/api/v1/api/v1')) fixed = fixed.slice('/api/v1'.length);
  fixed = fixed.replace(/\/{2,}/g, '/');
  if (fixed.length > 1 && fixed.endsWith('/')) fixed = fixed.slice(0, -1);
  return fixed === path ? null : fixed;
}
