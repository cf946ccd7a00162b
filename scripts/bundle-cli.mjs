// `npm run build`, second step: links tsc's dist/src/cli/main.js and what it imports into a few
// ES-module files in dist/bundle/, which bin/osloop-bridge.js runs. A start then reads ~30 files
// instead of resolving and reading ~550 ES modules and fastify's CommonJS tree one by one (the
// largest part of the cold start, docs/performance.md). The library exports and the .d.ts files
// stay tsc's dist/src; the bundle is only the CLI's.
//
// Linked from tsc's output rather than the TypeScript sources, so the bundle runs exactly the
// JavaScript the tests of dist/ run. Dynamic imports stay chunks of their own (code splitting),
// so what loads lazily (the MCP SDK, execa, NATS, each CLI command) still does.
//
// A package that finds its files by path (`__dirname`, `__filename`, `import.meta.url`,
// `require.resolve`: native addons, workers, WebAssembly, helper executables) would look for them
// next to the bundle and miss. Such packages are found by reading every bundled file, and the
// dependency that brings each in is left external: it loads from node_modules as before.
import { build } from 'esbuild';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ENTRY = 'dist/src/cli/main.js';
const OUT_DIR = 'dist/bundle';
/** Native addons are external whatever the scan says. */
const NATIVE = ['better-sqlite3'];
const LOADS_BY_PATH = /\b__dirname\b|\b__filename\b|\bimport\.meta\.url\b|\brequire\.resolve\b/;
/**
 * Packages fastify requires only on demand: its default Ajv and fast-json-stringify compilers
 * (the bridge gives it zod's) and light-my-request (`inject`). Bundled, they would still be read
 * and parsed at every start; instead each is required, if ever, from fastify's own folder, which
 * finds it wherever npm placed it.
 */
const ON_DEMAND = { '@fastify/ajv-compiler': 'fastify', '@fastify/fast-json-stringify-compiler': 'fastify', 'light-my-request': 'fastify' };
const onDemand = {
  name: 'on-demand',
  setup(build) {
    build.onResolve({ filter: /^[@a-z]/ }, (args) => {
      const owner = ON_DEMAND[args.path];
      if (!owner || packageOf(path.relative(ROOT, args.importer)) !== owner) return undefined;
      return { path: args.path, namespace: 'on-demand', pluginData: owner };
    });
    build.onLoad({ filter: /.*/, namespace: 'on-demand' }, (args) => ({
      loader: 'js',
      contents: `const from = require('node:path').dirname(require.resolve(${JSON.stringify(args.pluginData)}));\nmodule.exports = require(require.resolve(${JSON.stringify(args.path)}, { paths: [from] }));\n`,
    }));
  },
};
// Bundled CommonJS calls `require` for Node's built-ins; ES modules have none of their own.
const BANNER = "import { createRequire as __bundleCreateRequire } from 'node:module'; const require = __bundleCreateRequire(import.meta.url);";

const { dependencies = {} } = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8'));
const directDependencies = new Set(Object.keys(dependencies));

const options = (external, write) => ({
  absWorkingDir: ROOT,
  entryPoints: { main: ENTRY },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: OUT_DIR,
  chunkNames: 'chunks/[name]-[hash]',
  external: [...external],
  banner: { js: BANNER },
  plugins: [onDemand],
  legalComments: 'none',
  metafile: true,
  write,
  logLevel: 'warning',
});

/** The package an input belongs to, outermost `node_modules/<name>` (null for the project's own files). */
function packageOf(input) {
  const match = input.match(/^node_modules\/((?:@[^/]+\/)?[^/]+)/);
  return match ? match[1] : null;
}

/** The direct dependencies that bring in a bundled file which loads its neighbours by path. */
async function pathLoadingDependencies(metafile) {
  const importers = new Map();
  for (const [input, { imports }] of Object.entries(metafile.inputs)) {
    for (const { path: imported } of imports) importers.set(imported, [...(importers.get(imported) ?? []), input]);
  }
  const found = new Set();
  for (const input of Object.keys(metafile.inputs)) {
    if (!packageOf(input) || !LOADS_BY_PATH.test(await readFile(path.join(ROOT, input), 'utf8'))) continue;
    // Up the import graph to the first file of a direct dependency: that package is left external.
    const seen = new Set([input]);
    for (let frontier = [input]; frontier.length > 0; ) {
      const next = [];
      for (const file of frontier) {
        const owner = packageOf(file);
        if (owner && directDependencies.has(owner)) {
          found.add(owner);
          continue;
        }
        if (!owner) throw new Error(`${file} imports ${input}, whose package is not a dependency in package.json`);
        for (const importer of importers.get(file) ?? []) {
          if (seen.has(importer)) continue;
          seen.add(importer);
          next.push(importer);
        }
      }
      frontier = next;
    }
  }
  return found;
}

/**
 * Chunks of earlier builds (their names carry a hash of their content). A bridge started from an
 * earlier build may still import one lazily (the MCP SDK at its first connect), so with
 * `--keep-recent` (tests rebuilding while other tests' bridges run) those of the last 15 minutes stay.
 */
async function removeStaleOutputs(current) {
  const keepSince = process.argv.includes('--keep-recent') ? Date.now() - 15 * 60_000 : Infinity;
  const entries = await readdir(path.join(ROOT, OUT_DIR), { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    const file = path.join(entry.parentPath ?? entry.path, entry.name);
    if (!entry.isFile() || current.has(file)) continue;
    if ((await stat(file)).mtimeMs < keepSince) await rm(file, { force: true });
  }
}

const external = new Set(NATIVE);
for (;;) {
  const { metafile } = await build(options(external, false));
  const more = [...(await pathLoadingDependencies(metafile))].filter((name) => !external.has(name));
  if (more.length === 0) break;
  for (const name of more) external.add(name);
}
const { metafile } = await build(options(external, true));
await removeStaleOutputs(new Set(Object.keys(metafile.outputs).map((file) => path.join(ROOT, file))));
process.stdout.write(`bundled ${ENTRY} into ${OUT_DIR}/ (external: ${[...external].sort().join(', ')})\n`);
