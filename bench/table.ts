/** One measured number, next to the bare baseline it is compared with in the same run. */
export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  /** The same measurement on the bare mechanism (same unit), taken in the same run. */
  baseline: number;
  /** value / baseline: numbers drift between runs on this machine, ratios within one run do not. */
  ratio: number;
  note?: string;
}

/** Renders rows as a markdown table. */
export function formatTable(rows: readonly BenchRow[]): string {
  const fmt = (n: number): string => (Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : n.toPrecision(3));
  const lines = [
    '| name | value | unit | baseline | ratio | note |',
    '| --- | ---: | --- | ---: | ---: | --- |',
    ...rows.map((r) => `| ${r.name} | ${fmt(r.value)} | ${r.unit} | ${fmt(r.baseline)} | ${r.ratio.toFixed(2)} | ${r.note ?? ''} |`),
  ];
  return lines.join('\n');
}

/** Prints rows as a markdown table on stdout. */
export function printTable(rows: readonly BenchRow[]): void {
  console.log(formatTable(rows));
}
