import { execa } from 'execa';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The CLI exactly as users run it: `bin/osloop-bridge.js`, which runs the bundle in dist/bundle/ (built from dist/src). */
export const COMPILED_BIN = path.join(ROOT, 'bin/osloop-bridge.js');

/**
 * Brings dist/ (tsc's output, then the CLI bundle linked from it) up to date with the sources before a test spawns the compiled CLI, so a test never
 * runs an older build than the code beside it (`npm test` builds first; a single `vitest run
 * test/cli` might not have). Rebuilds only when a source is newer than the last build's start, and
 * under a lock, since test files (and people) run side by side. Type errors do not stop the
 * emit: `npm run typecheck` reports them, and the tests then run what the sources say.
 */
export async function ensureCompiled(): Promise<void> {
  const script = [
    // Kept outside dist/ so that `npm pack` never ships them.
    'state=node_modules/.cache/osloop-bridge-build',
    'mkdir -p "$state"',
    'exec 9>"$state/lock"',
    'flock 9',
    'if [ -f "$state/built-at" ] && [ -f dist/src/cli/main.js ] && [ -f dist/bundle/main.cjs ] && [ -z "$(find src machines package.json tsconfig.json tsconfig.build.json scripts/bundle-cli.mjs -newer "$state/built-at" -print -quit)" ]; then exit 0; fi',
    'touch "$state/building-since"',
    '"$NODE" node_modules/typescript/bin/tsc -p tsconfig.build.json >&2 || echo "ensureCompiled: tsc reported errors (emitted anyway)" >&2',
    // The same bundle `npm run build` makes; a failure here is a real one (bin/ runs the bundle).
    '"$NODE" scripts/bundle-cli.mjs --keep-recent >&2 || exit 1',
    'mv "$state/building-since" "$state/built-at"',
  ].join('\n');
  const result = await execa('bash', ['-c', script], { cwd: ROOT, env: { NODE: process.execPath }, reject: false, timeout: 240_000 });
  if (result.exitCode !== 0) throw new Error(`building dist/ failed: ${result.stderr}`);
}
