import { FD_SLACK, HEAP_TOLERANCE, SOAK_SEED, SOAK_SIZES, runSoak } from '../../test/hardening/workloads/soak.js';
import { mib } from '../../test/hardening/workloads/probes.js';
import { count, type ReliabilityPart } from './section.js';

/** The soak section: runs by outcome, what was left behind, MCP cycles. */
export const soakReport: ReliabilityPart = async (size) => {
  const result = await runSoak({ ...SOAK_SIZES[size], seed: SOAK_SEED, log: (line) => process.stderr.write(`${line}\n`) });
  const byOutcome = Object.entries(result.outcomes)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, outcomes]) => ({
      name: `runs: ${kind.replace('_', ' ')}`,
      value: count(Object.values(outcomes).reduce((a, b) => a + b, 0)),
      note: `ended ${Object.entries(outcomes).map(([state, n]) => `${state} ×${n}`).join(', ')}`,
    }));
  const change = (after: number, before: number) => {
    const percent = (after / before - 1) * 100;
    return `${percent >= 0 ? '+' : ''}${percent.toFixed(1)}%`;
  };
  return {
    title: 'Soak',
    command: `npm run reliability -- soak${size === 'ci' ? ' --size ci' : ''}`,
    rows: [
      { name: 'command runs', value: count(result.runs), note: `seed ${result.seed}; 12 at once; every kind checked against its expected final state` },
      ...byOutcome,
      { name: 'runs that ended otherwise', value: count(result.mismatches.length) },
      { name: 'MCP connect/call/disconnect cycles', value: `${count(result.mcpCycles)} of ${count(SOAK_SIZES[size].mcpCycles)}`, note: 'server-everything over stdio, alongside the runs; its process checked gone after each disconnect' },
      { name: 'processes started', value: count(result.processesStarted), note: 'run process groups and MCP servers, each tracked by pid' },
      { name: 'leaked processes', value: count(result.leakedProcesses.length), note: 'living members of any tracked process group, plus descendants of the bridge process not there at baseline' },
      { name: 'file descriptors', value: `${result.fds.baseline} → ${result.fds.after}`, note: `/proc/self/fd, baseline after a warm-up; after: once settled (${result.fds.waitedMs} ms), allowed +${FD_SLACK}` },
      {
        name: 'heap after forced GC, without compiled code',
        value: `${mib(result.heap.dataBaseline)} → ${mib(result.heap.dataAfter)} (${change(result.heap.dataAfter, result.heap.dataBaseline)})`,
        note: `allowed +${HEAP_TOLERANCE * 100}%; V8's code spaces left out, as the JIT keeps compiling over a long run`,
      },
      {
        name: 'heap after forced GC, all of it',
        value: `${mib(result.heap.baseline)} → ${mib(result.heap.after)} (${change(result.heap.after, result.heap.baseline)})`,
        note: 'process.memoryUsage().heapUsed, code included',
      },
      { name: 'Buffers outside the heap', value: `${mib(result.arrayBuffers.baseline)} → ${mib(result.arrayBuffers.after)}`, note: `allowed + ${mib(result.arrayBuffers.allowance)} (the retained-output budget plus slack)` },
      { name: 'error-level log lines', value: count(result.errorLogs.length) },
      { name: 'wall time', value: `${(result.wallMs / 1000).toFixed(1)} s`, note: 'bridge start to stop, warm-up included' },
    ],
    prose:
      'Runs mix whitelisted fast commands (complete or exit 3), `sh -c \'sleep 1000 & sleep 1000\'` terminated after 0–300 ms (a quarter of them trap SIGTERM, so the group is SIGKILLed after the 300 ms grace), the same killed by a `timeoutMs` of 150–600 ms, and prompted runs the UI rejects within 200 ms or nobody answers (4 s prompt timeout). The bridge runs in this process with a 200-event ring and a 64 KiB retained-output budget (each finished run counts its bytes plus 2 KiB), both reached during the warm-up, so bounded buffers are as full at the baseline as at the end.',
  };
};
