import { CI_FUZZ_CASES, FULL_FUZZ_CASES, runFuzz, summarizeFuzz } from '../../test/hardening/workloads/fuzz.js';
import { count, type ReliabilityPart } from './section.js';

/**
 * Fuzzing: the property-based workload of test/hardening/fuzz.test.ts against a real bridge, at
 * the CI size or the nightly one (`FUZZ_SEED` replays another seed).
 */
export const fuzzReport: ReliabilityPart = async (size) => {
  const cases = size === 'ci' ? CI_FUZZ_CASES : FULL_FUZZ_CASES;
  const figures = await runFuzz({ cases, ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {}), log: (line) => process.stderr.write(`${line}\n`) });
  if (figures.failures.length > 0) process.stderr.write(`${summarizeFuzz(figures)}\n`);
  const { crashes, sideEffects } = figures;
  const crashCount = crashes.uncaught.length + crashes.unhandled.length + crashes.errorLogs.length + (crashes.healthyAtEnd ? 0 : 1);
  return {
    title: 'Fuzzing',
    command: 'npm run reliability -- fuzz',
    rows: [
      { name: 'cases run', value: count(figures.total), note: `seed ${figures.seed}; ${Object.entries(figures.cases).map(([category, n]) => `${category} ${count(n)}`).join(', ')}` },
      { name: 'routes covered', value: `${Object.keys(figures.routes).filter((r) => !r.startsWith('ws ') && r !== 'stray paths').length} + 2 sockets`, note: 'every route of `ROUTES`, each with its own tokens, plus paths of no route' },
      { name: '5xx replies', value: count(figures.serverErrors), note: `documented 501 \`unsupported\` (a feature this machine lacks) not counted: ${count(figures.unsupported)}` },
      { name: 'unstructured 4xx', value: count(figures.unstructured), note: 'a 4xx whose body is not `{ error: { code, message } }` with a registered code and its status' },
      { name: 'unknown error codes', value: count(figures.unknownCodes.length), note: figures.unknownCodes.join(', ') || 'none' },
      { name: 'broken exchanges', value: count(figures.broken), note: `no reply, or a socket closed with an undocumented code; non-HTTP garbage dropped by the parser: ${count(figures.droppedGarbage)}` },
      { name: 'crashes', value: count(crashCount), note: `uncaught ${crashes.uncaught.length}, unhandled rejections ${crashes.unhandled.length}, error-level log lines ${crashes.errorLogs.length}, health answered at the end: ${crashes.healthyAtEnd}` },
      { name: 'side effects', value: count(sideEffects.commandsStarted + sideEffects.installsStarted + sideEffects.mcpConnected + sideEffects.writesOutsideTarget.length + sideEffects.filesOutside.length), note: 'commands or installs started, MCP servers connected, files written outside the temp target' },
      { name: 'wall time', value: `${(figures.wallMs / 1000).toFixed(1)} s` },
    ],
    prose:
      'Requests come from fast-check arbitraries derived from each route\'s zod schemas (through `z.toJSONSchema()`), mixed with mutations (wrong types, unknown fields, NUL and unicode strings, huge and negative numbers, deep nesting, `__proto__`), malformed JSON, bodies over the limit, wrong content types, traversal in paths and queries, bad credentials and raw HTTP garbage; both sockets get fuzzed upgrades and frames, and the event socket gets scripts of `request` and `cancel` frames (calls on the socket) with lying ids, duplicate ids in flight, HTTP-only and unknown routes, valid-shaped and mutated bodies, `__proto__` keys and frames around the size limits: every frame owed an answer must get one, judged like an HTTP reply. Commands, installs and stdio MCP servers stop at a permission prompt nobody answers.',
  };
};
