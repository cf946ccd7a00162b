/** The key bin/code-cache.js offers its write under (that file runs the bundle and is not part of it). */
const WRITE_HOOK = Symbol.for('osloop-bridge.write-code-cache');

/**
 * Writes the CLI bundle's V8 code cache now, when bin/code-cache.js has offered to (the start found
 * none V8 took); otherwise, and when the CLI does not run from the bundle (`npm run dev`), nothing.
 * A start calls it once it serves: by then it has compiled what a start compiles, and it must come
 * before anything changes V8's flags, under which V8 would refuse the cache at the next start.
 */
export function writeCodeCacheNow(): void {
  const write = (globalThis as Record<symbol, unknown>)[WRITE_HOOK];
  if (typeof write === 'function') write();
}
