/**
 * One part of the reliability report (`npm run reliability`): the figures a hardening workload
 * produced, each a measured value, never a hard-coded one. The same workload functions back the
 * CI-size tests in test/hardening/, which assert on the figures the script only reports.
 */
export interface ReliabilityRow {
  /** What was measured, e.g. "5xx replies" or "leaked processes after 2,000 runs". */
  name: string;
  /** The measured figure, already formatted ("0", "1,234 req/s", "p99 12.3 ms"). */
  value: string;
  /** How it was measured or what it is compared with. */
  note?: string;
}

export interface ReliabilitySection {
  /** Section heading in docs/reliability.md, e.g. "Fuzzing". */
  title: string;
  /** The one command that reproduces this section alone. */
  command: string;
  rows: ReliabilityRow[];
  /** Optional paragraph under the table: the documented end state, caveats. */
  prose?: string;
}

/** `ci` is the bounded size the test suite runs; `full` is the (nightly) size. */
export type ReliabilitySize = 'ci' | 'full';

export type ReliabilityPart = (size: ReliabilitySize) => Promise<ReliabilitySection>;

/** Renders a section as markdown. */
export function formatSection(section: ReliabilitySection): string {
  const rows = section.rows.map((r) => `| ${r.name} | ${r.value} | ${r.note ?? ''} |`);
  return [
    `## ${section.title}`,
    '',
    `Reproduce: \`${section.command}\``,
    '',
    '| figure | value | how |',
    '| --- | ---: | --- |',
    ...rows,
    ...(section.prose ? ['', section.prose] : []),
  ].join('\n');
}

/** Formats an integer with thousands separators. */
export const count = (n: number): string => Math.round(n).toLocaleString('en-US');
