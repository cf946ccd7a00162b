#!/usr/bin/env node
// The CLI, compiled: dist/ is built by `npm run build`, which `npm install` and `npm ci` run (the
// `prepare` script) and `npm pack` ships, so starting needs no TypeScript compiler.
import { existsSync } from 'node:fs';
import module from 'node:module';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('osloop-bridge: dist/ is missing; run `npm run build` (or `npm install`) in this checkout first.\n');
  process.exit(1);
}
// Node ≥ 22.1 keeps compiled bytecode between starts; Node 20 has no such cache and goes on.
module.enableCompileCache?.();
await import(main.href);
