// Runs the CLI bundle (dist/bundle/main.cjs, one CommonJS file) from a V8 code cache of its own.
// Node 20 has no compile cache (module.enableCompileCache came with Node 22.1), and compiling the
// start path's code was ~60-70 ms of the ~330 ms of CPU to the first answer (docs/performance.md).
// V8 takes a cache only for a source of the same length, V8 version and flags; the bundle's first
// line names its content (scripts/bundle-cli.mjs), and that id names the cache file (with the
// Node version and a hash of node's options), so another build of the same length is never
// started from this one's bytecode.
//
// The cache is written by `start` alone, once, when it has none that V8 took: when it serves
// (src/cli/code-cache-hook.ts calls the hook below), so it holds what a start compiles (a short
// command such as `status`, `start --help` or a start refused at once would leave one without the
// bridge's start path in it, and V8 would take that one from then on), and before the start
// changes V8's flags (src/cli/v8-tiering.ts): a cache made under other flags is refused by V8 at
// the next start, which would then compile and write again, every time. The cache lives in the
// user's own cache folder, made private: bytecode there runs as the bridge. Any failure to read or
// write it only means compiling as without one.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';

const ID_LINE = /^\/\/ osloop-bridge bundle ([0-9a-f]+)\n/;
/** Where the bundle finds the write, without importing this file (it is not part of the bundle). */
const WRITE_HOOK = Symbol.for('osloop-bridge.write-code-cache');
const STALE_AFTER_MS = 24 * 60 * 60_000;

/** Compiles and runs the bundle at `file` (a path) as CommonJS would, with the code cache when there is one. */
export function runBundle(file) {
  // The build writes only ASCII, so Latin-1 reads it exactly, as a one-byte string and without decoding.
  const source = readFileSync(file, 'latin1');
  const id = ID_LINE.exec(source)?.[1];
  const cacheFile = id && process.env.NODE_DISABLE_COMPILE_CACHE !== '1' ? cachePath(id) : null;
  const cachedData = cacheFile ? readOrNothing(cacheFile) : undefined;
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData,
    // No importModuleDynamically: the bundle's import() calls go through a file Node loads itself
    // (dist/bundle/dynamic-import.cjs; Node 20 has no unflagged, unwarned vm loader callback).
  });
  if (cacheFile && (!cachedData || script.cachedDataRejected)) offerWrite(script, cacheFile);
  // `module` is only where the bundle puts its exports; `require` resolves from the bundle's folder.
  script.runInThisContext()({}, createRequire(file), { exports: {} }, file, path.dirname(file));
}

function cachePath(id) {
  const base =
    process.platform === 'win32'
      ? (process.env.LOCALAPPDATA ?? path.join(os.homedir(), 'AppData', 'Local'))
      : process.platform === 'darwin'
        ? path.join(os.homedir(), 'Library', 'Caches')
        : path.isAbsolute(process.env.XDG_CACHE_HOME ?? '')
          ? process.env.XDG_CACHE_HOME
          : path.join(os.homedir(), '.cache'); // a relative XDG_CACHE_HOME is to be ignored (XDG spec)
  // V8 refuses a cache made under other flags, so each set of node options keeps its own (the
  // benches' bridges run with `--import` of a probe that turns on --expose-gc): otherwise each
  // would find the other's, refuse it and write its own over it.
  const options = createHash('sha256').update(JSON.stringify([process.execArgv, process.env.NODE_OPTIONS ?? ''])).digest('hex').slice(0, 8);
  return path.join(base, 'osloop-bridge', 'code-cache', `${id}-${process.version}-${process.arch}-${options}.bin`);
}

function readOrNothing(file) {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * Caches of other builds or Node versions not written for a day: each build writes its own (2-3 MB),
 * and one a bridge of another checkout still uses is written again at its next start.
 */
function removeOldCaches(dir, keep) {
  const before = Date.now() - STALE_AFTER_MS;
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (file !== keep && statSync(file).mtimeMs < before) rmSync(file, { force: true });
  }
}

/** Lets the bundle write the cache once, synchronously (a start that serves calls it). */
function offerWrite(script, file) {
  globalThis[WRITE_HOOK] = () => {
    delete globalThis[WRITE_HOOK];
    try {
      mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      // Renamed into place: bridges starting side by side read a whole cache or none.
      const temporary = `${file}.${process.pid}.tmp`;
      writeFileSync(temporary, script.createCachedData(), { mode: 0o600 });
      renameSync(temporary, file);
      removeOldCaches(path.dirname(file), file);
    } catch {
      // A read-only or full disk: the next start compiles, as this one did.
    }
  };
}
