import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatSection, type ReliabilityPart, type ReliabilitySection, type ReliabilitySize } from './reliability/section.js';

/**
 * `npm run reliability`: runs the hardening workloads (fuzzing, attacks, faults, soak, load, stops) at
 * the full size and prints their figures. `--size ci` runs the bounded sizes the tests
 * use; `--write` records the report in docs/reliability.md. Pass part names to run a subset:
 * `npm run reliability -- soak load`. Each part runs in a fresh process, so that one part's
 * heap, descriptors and processes never count in another's figures.
 */
const parts: Record<string, () => Promise<ReliabilityPart>> = {
  fuzz: async () => (await import('./reliability/fuzz.js')).fuzzReport,
  attacks: async () => (await import('./reliability/attacks.js')).attacksReport,
  faults: async () => (await import('./reliability/faults.js')).faultsReport,
  soak: async () => (await import('./reliability/soak.js')).soakReport,
  load: async () => (await import('./reliability/load.js')).loadReport,
  stops: async () => (await import('./reliability/stops.js')).stopsReport,
};

/** Section title of each part, to keep the document in the order of `parts`. */
const TITLES: Record<string, string> = { fuzz: 'Fuzzing', attacks: 'Attacks', faults: 'Faults', soak: 'Soak', load: 'Load', stops: 'Stops' };

const { values: flags, positionals: wanted } = parseArgs({
  allowPositionals: true,
  options: {
    write: { type: 'boolean', default: false },
    size: { type: 'string', default: 'full' },
    // Internal: run one part in this process and leave its section as JSON in this file.
    'section-out': { type: 'string' },
  },
});
if (flags.size !== 'ci' && flags.size !== 'full') fail(`--size must be ci or full, not ${flags.size}`);
const size = flags.size as ReliabilitySize;
const unknown = wanted.filter((name) => !(name in parts));
if (unknown.length > 0) fail(`unknown part(s) ${unknown.join(', ')}; known: ${Object.keys(parts).join(', ')}`);

if (flags['section-out']) {
  const section = await (await parts[wanted[0]!]!())(size);
  await writeFile(flags['section-out'], JSON.stringify(section));
  process.exit(0);
}

const scratch = await mkdtemp(path.join(os.tmpdir(), 'osloop-reliability-'));
const sections: ReliabilitySection[] = [];
for (const name of Object.keys(parts)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  process.stderr.write(`reliability: ${name} (${size})…\n`);
  const started = Date.now();
  const section = await runInFreshProcess(name, path.join(scratch, `${name}.json`));
  process.stderr.write(`reliability: ${name} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  sections.push(section);
  console.log(`${formatSection(section)}\n`);
  // Written after every part, so a long run stopped midway keeps what it measured.
  if (flags.write) await writeReport(sections);
}
await rm(scratch, { recursive: true, force: true });
process.exit(0);

/** Runs one part in a new Node process (same loader flags: tsx) and reads back its section. */
async function runInFreshProcess(name: string, out: string): Promise<ReliabilitySection> {
  const script = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, [...process.execArgv, script, name, '--size', size, '--section-out', out], { stdio: 'inherit' });
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
  if (code !== 0) fail(`part ${name} exited with ${code}`);
  return JSON.parse(await readFile(out, 'utf8')) as ReliabilitySection;
}

function fail(message: string): never {
  console.error(`reliability: ${message}`);
  process.exit(2);
}

/**
 * Writes docs/reliability.md: the sections just measured replace those of the same title, the
 * others are kept (each says which command and date produced it), in the order of `parts`.
 */
async function writeReport(measured: readonly ReliabilitySection[]): Promise<void> {
  const file = new URL('../docs/reliability.md', import.meta.url);
  const kept = new Map(splitSections(await readFile(file, 'utf8').catch(() => '')));
  const date = new Date().toISOString().slice(0, 10);
  for (const section of measured) kept.set(section.title, `${formatSection(section)}\n\nMeasured on ${date}, size ${size}, on ${machine()}.\n`);
  const order = Object.keys(parts).map((name) => TITLES[name]);
  const titles = [...kept.keys()].sort((a, b) => rank(order, a) - rank(order, b));
  const doc = [
    '# Reliability',
    '',
    'Produced by `npm run reliability -- --write`; every figure below is measured by the command named under its heading, none is typed in by hand. The test suite (`npm test`) runs the same workloads at a bounded CI size (test/hardening/) and fails if any of them lets a 5xx, a crash, a leak or a loss through. Running a subset (`npm run reliability -- fuzz --write`) replaces only its sections.',
    '',
    ...titles.map((title) => kept.get(title)!.trimEnd() + '\n'),
  ].join('\n');
  await writeFile(file, doc);
}

function rank(order: readonly (string | undefined)[], title: string): number {
  const index = order.findIndex((t) => t !== undefined && title.startsWith(t));
  return index < 0 ? order.length : index;
}

/** The `## ` sections of an existing report, by title. */
function splitSections(doc: string): Array<[string, string]> {
  return doc
    .split(/^(?=## )/m)
    .filter((chunk) => chunk.startsWith('## '))
    .map((chunk) => [chunk.slice(3, chunk.indexOf('\n')).trim(), chunk]);
}

function machine(): string {
  return `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
}
