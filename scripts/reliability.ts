import os from 'node:os';
import { writeFile } from 'node:fs/promises';
import { formatSection, type ReliabilityPart, type ReliabilitySection, type ReliabilitySize } from './reliability/section.js';

/**
 * `npm run reliability`: runs the hardening workloads (fuzzing, attacks, faults, soak, load) at
 * the full size and prints their figures. `--size ci` runs the bounded sizes the tests
 * use; `--write` records the report in docs/reliability.md. Pass part names to run a subset:
 * `npm run reliability -- soak load`.
 */
const parts: Record<string, () => Promise<ReliabilityPart>> = {
  fuzz: async () => (await import('./reliability/fuzz.js')).fuzzReport,
  attacks: async () => (await import('./reliability/attacks.js')).attacksReport,
  faults: async () => (await import('./reliability/faults.js')).faultsReport,
  soak: async () => (await import('./reliability/soak.js')).soakReport,
  load: async () => (await import('./reliability/load.js')).loadReport,
};

const args = process.argv.slice(2);
const write = args.includes('--write');
const sizeFlag = args.indexOf('--size');
const size: ReliabilitySize = sizeFlag >= 0 && args[sizeFlag + 1] === 'ci' ? 'ci' : 'full';
const wanted = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--size');
const unknown = wanted.filter((name) => !(name in parts));
if (unknown.length > 0) {
  console.error(`reliability: unknown part(s) ${unknown.join(', ')}; known: ${Object.keys(parts).join(', ')}`);
  process.exit(2);
}

const sections: ReliabilitySection[] = [];
for (const [name, load] of Object.entries(parts)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  process.stderr.write(`reliability: ${name} (${size})…\n`);
  const started = Date.now();
  const section = await (await load())(size);
  process.stderr.write(`reliability: ${name} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  sections.push(section);
  console.log(`${formatSection(section)}\n`);
  // Written after every part, so a long run stopped midway keeps what it measured.
  if (write) await writeReport(sections);
}

async function writeReport(sections: readonly ReliabilitySection[]): Promise<void> {
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
  const doc = [
    '# Reliability',
    '',
    `Produced by \`npm run reliability -- --write\` (size: ${size}) on ${new Date().toISOString().slice(0, 10)}.`,
    `Machine: ${machine}.`,
    '',
    'Every figure below is measured by the command named under its heading; none is typed in by hand. The test suite (`npm test`) runs the same workloads at a bounded CI size (test/hardening/) and fails if any of them lets a 5xx, a crash, a leak or a loss through.',
    '',
    ...sections.map((s) => `${formatSection(s)}\n`),
  ].join('\n');
  await writeFile(new URL('../docs/reliability.md', import.meta.url), doc);
}

process.exit(0);
