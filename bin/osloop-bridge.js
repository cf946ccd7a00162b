#!/usr/bin/env node
// The CLI, compiled and bundled: `npm run build` (which `npm install` and `npm ci` run, the
// `prepare` script, and `npm pack` ships) compiles dist/ with tsc, then links the CLI into one
// CommonJS file, dist/bundle/main.cjs (scripts/bundle-cli.mjs), so starting needs no TypeScript
// compiler and does not resolve and read hundreds of modules one by one. code-cache.js runs it
// from a V8 code cache, which Node 20 has no other way to keep between starts.
import { existsSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';
import { runBundle } from './code-cache.js';

const main = fileURLToPath(new URL('../dist/bundle/main.cjs', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('osloop-bridge: dist/ is missing; run `npm run build` (or `npm install`) in this checkout first.\n');
  process.exit(1);
}
// Node ≥ 22.1 also keeps the bytecode of the packages left outside the bundle (pino, commander, …).
module.enableCompileCache?.();
runBundle(main);
