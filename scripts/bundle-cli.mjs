// `npm run build`, second step: links tsc's dist/src/cli/main.js and what it imports into one
// CommonJS file, dist/bundle/main.cjs, which bin/osloop-bridge.js runs. A start then reads one file
// instead of resolving and reading ~550 ES modules and fastify's CommonJS tree one by one (the
// largest part of the cold start, docs/performance.md). The library exports and the .d.ts files
// stay tsc's dist/src; the bundle is only the CLI's.
//
// CommonJS, one file, because that is what Node 20 can start from a V8 code cache: bin/ compiles it
// with vm.Script and `cachedData` (Node 20 has no compile cache for ES modules, and esbuild splits
// code into chunks only as ES modules). What loads lazily still runs lazily: a dynamic import() of
// a bundled module becomes a `require` of a wrapper that runs at that moment, and V8 compiles
// only the functions that run. An ES-module-only dependency left external must be loaded with
// import() (a `require` of one fails on Node 20 before 20.19): the build fails if one is required.
//
// Linked from tsc's output rather than the TypeScript sources, so the bundle runs exactly the
// JavaScript the tests of dist/ run.
//
// A package that finds its files by path (`__dirname`, `__filename`, `import.meta.url`,
// `require.resolve`: native addons, workers, WebAssembly, helper executables) would look for them
// next to the bundle and miss. Such packages are found by reading every bundled file, and the
// dependency that brings each in is left external: it loads from node_modules as before.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
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
// The bundled ES modules' `import.meta.url` (the project's own: the package root, pino-pretty,
// tree-sitter's grammar) is the bundle's URL, as it was each chunk's when the bundle was ES modules.
const IMPORT_META_URL = '__bundleImportMetaUrl';
// The bundle's import() of an external package (the ES-module-only ones) goes through a small
// CommonJS file beside it, loaded by Node's own `require`: bin/ compiles the bundle with vm.Script,
// whose import() needs a loader callback that Node 20 allows only behind a flag (or with an
// "experimental" warning), while a file Node loads itself has import() as usual.
const DYNAMIC_IMPORT = '__bundleImport';
const DYNAMIC_IMPORT_FILE = 'dynamic-import.cjs';
const DYNAMIC_IMPORT_SOURCE = `// Written by scripts/bundle-cli.mjs: main.cjs's import() of external packages (see there).\nmodule.exports = (specifier) => import(specifier);\n`;
// "use strict" first (the banner precedes esbuild's own): the bundled ES modules were strict code.
const BANNER = `'use strict'; const ${IMPORT_META_URL} = require('node:url').pathToFileURL(__filename).href; const ${DYNAMIC_IMPORT} = require('./${DYNAMIC_IMPORT_FILE}');`;
/** The first line of main.cjs names its content, so bin/ never starts it from another build's code cache. */
const ID_LINE = (id) => `// osloop-bridge bundle ${id}\n`;

const { dependencies = {} } = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8'));
const directDependencies = new Set(Object.keys(dependencies));

const options = (external, write) => ({
  absWorkingDir: ROOT,
  entryPoints: { main: ENTRY },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  outdir: OUT_DIR,
  outExtension: { '.js': '.cjs' },
  external: [...external],
  define: { 'import.meta.url': IMPORT_META_URL },
  banner: { js: BANNER },
  // Any other use of `import.meta` would be an empty object in CommonJS: fail rather than run it.
  // require.resolve of fastify (the on-demand plugin) is meant: it runs on the real `require`.
  logOverride: { 'empty-import-meta': 'error', 'require-resolve-not-external': 'silent' },
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
 * Files of earlier builds (the ES-module chunks of the bundle before it was one file). A bridge
 * started from such a build may still import one lazily (the MCP SDK at its first connect), so with
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
const { metafile, outputFiles } = await build(options(external, false));
const [bundle] = outputFiles;
if (outputFiles.length !== 1 || !bundle.path.endsWith('main.cjs')) throw new Error(`expected one main.cjs, esbuild wrote ${outputFiles.map((file) => file.path).join(', ')}`);
const esmRequired = [...external].filter((name) => bundle.text.includes(`require(${JSON.stringify(name)})`) && isEsmOnly(name));
if (esmRequired.length > 0) throw new Error(`the bundle requires ES-module-only packages (${esmRequired.join(', ')}): import them with import() where they are used`);
let text = bundle.text;
const [output] = Object.values(metafile.outputs);
for (const { path: name } of output.imports.filter((entry) => entry.kind === 'dynamic-import' && entry.external)) {
  const call = `import(${JSON.stringify(name)})`;
  if (!text.includes(call)) throw new Error(`esbuild reported a dynamic import of ${name}, but the bundle has no ${call}`);
  text = text.replaceAll(call, `${DYNAMIC_IMPORT}(${JSON.stringify(name)})`);
}
// ASCII only: with one character beyond Latin-1 the source is a two-byte string in V8 (9.6 MB
// for this bundle instead of 4.8), and UTF-8 that is not all ASCII decodes slower; all ASCII,
// bin/ reads it as Latin-1, a plain copy. The few other characters (in comments; ², µ in
// regular expressions) become \u escapes, which mean the same in strings, regular expressions,
// identifiers and comments (not in a String.raw template: the build stops if there may be one).
if (/\P{ASCII}/u.test(text) && text.includes('String.raw')) throw new Error('the bundle has String.raw and non-ASCII characters: escaping them could change a raw template');
if (/\\\P{ASCII}/u.test(text)) throw new Error('the bundle escapes a non-ASCII character with a backslash, which a \\u escape after it would change');
// Each UTF-16 unit of a character (two for one beyond the BMP: a surrogate pair) as its own escape.
const unicodeEscape = (char) => char.split('').map((unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
text = text.replace(/\P{ASCII}/gu, unicodeEscape);
const id = createHash('sha256').update(text).digest('hex').slice(0, 32);
const dynamicImportFile = path.join(path.dirname(bundle.path), DYNAMIC_IMPORT_FILE);
await mkdir(path.dirname(bundle.path), { recursive: true });
await writeAtomically(dynamicImportFile, DYNAMIC_IMPORT_SOURCE);
await writeAtomically(bundle.path, ID_LINE(id) + text);
await removeStaleOutputs(new Set([bundle.path, dynamicImportFile]));
process.stdout.write(`bundled ${ENTRY} into ${path.relative(ROOT, bundle.path)} (external: ${[...external].sort().join(', ')})\n`);

/** Renamed into place, so a bridge starting while tests rebuild never reads half a file. */
async function writeAtomically(file, contents) {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, contents);
  await rename(temporary, file);
}

/** True when `require(name)` would load an ES module (which Node 20 before 20.19 cannot). */
function isEsmOnly(name) {
  const require = createRequire(path.join(ROOT, 'package.json'));
  let file;
  try {
    file = require.resolve(name);
  } catch (error) {
    if (error.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') return true;
    throw error;
  }
  if (file.endsWith('.mjs')) return true;
  if (!file.endsWith('.js')) return false;
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    try {
      return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).type === 'module';
    } catch (error) {
      if (error.code !== 'ENOENT') throw error;
    }
  }
  return false;
}
