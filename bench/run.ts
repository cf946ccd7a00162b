import os from 'node:os';
import { readFile, writeFile } from 'node:fs/promises';
import type { BenchRow } from './table.js';
import { formatTable } from './table.js';

/**
 * `npm run bench`: every benchmark, one table, each row a ratio against a bare baseline measured
 * in the same run. `--write` also records the table in docs/performance.md. Pass names to run a
 * subset: `npm run bench -- http bus`.
 */
const suites: Record<string, () => Promise<BenchRow[]>> = {
  http: async () => (await import('./http.bench.js')).benchHttp(),
  bus: async () => (await import('./bus.bench.js')).benchBus(),
  // BENCH-SUITES: one line per capability bench below.
  fleet: async () => (await import('./fleet.bench.js')).benchFleet(),
  commands: async () => [
    ...(await (await import('./commands.bench.js')).benchCommands()),
    ...(await (await import('./command-load.bench.js')).benchCommandLoad()),
  ],
  system: async () => (await import('./system.bench.js')).benchSystem(),
  mcp: async () => (await import('./mcp.bench.js')).benchMcp(),
  actors: async () => (await import('./actors.bench.js')).benchActors(),
  startup: async () => (await import('./startup.bench.js')).benchStartup(),
};

const TABLE_START = '<!-- bench:table (npm run bench -- --write replaces this block) -->';
const TABLE_END = '<!-- /bench:table -->';

const args = process.argv.slice(2);
const write = args.includes('--write');
const wanted = args.filter((a) => !a.startsWith('--'));
const rows: BenchRow[] = [];
for (const [name, run] of Object.entries(suites)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  process.stderr.write(`bench: ${name}…\n`);
  rows.push(...(await run()));
}
const table = formatTable(rows);
console.log(table);

if (write) {
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
  const block = `${TABLE_START}\nProduced by \`npm run bench -- --write\` on ${new Date().toISOString().slice(0, 10)}.\nMachine: ${machine}.\n\nEach row is a ratio against a bare baseline measured in the same run (absolute numbers drift between runs; ratios do not). For throughput a ratio below 1 is the bridge's cost; for latency a ratio above 1 is.\n\n${table}\n${TABLE_END}`;
  // Only the table is replaced: the analysis around it (where each gap came from) is written by hand.
  const docUrl = new URL('../docs/performance.md', import.meta.url);
  const current = await readFile(docUrl, 'utf8').catch(() => '');
  const start = current.indexOf(TABLE_START);
  const end = current.indexOf(TABLE_END);
  const doc = start >= 0 && end > start ? current.slice(0, start) + block + current.slice(end + TABLE_END.length) : `# Performance\n\n${block}\n`;
  await writeFile(docUrl, doc);
}
process.exit(0);
