#!/usr/bin/env node
// The CLI, compiled and bundled: `npm run build` (which `npm install` and `npm ci` run, the
// `prepare` script, and `npm pack` ships) compiles dist/ with tsc, then links the CLI into a few
// files in dist/bundle/ (scripts/bundle-cli.mjs), so starting needs no TypeScript compiler and
// does not resolve and read hundreds of modules one by one.
import { existsSync } from 'node:fs';
import module from 'node:module';

const main = new URL('../dist/bundle/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('osloop-bridge: dist/ is missing; run `npm run build` (or `npm install`) in this checkout first.\n');
  process.exit(1);
}
// Node ≥ 22.1 keeps compiled bytecode between starts; Node 20 has no such cache and goes on.
module.enableCompileCache?.();
await import(main.href);
