import {
  concurrentForkBombs,
  dyingInhibitor,
  FORK_BOMB,
  forkBomb,
  KILL9_CYCLES,
  mcpCrashMidCall,
  mcpHangingCall,
  mcpHangingInitialize,
  runKill9Workload,
  sigtermIgnoringRun,
  startFaultBridge,
  type FaultOutcome,
} from '../../test/hardening/workloads/faults.js';
import { count, type ReliabilityPart, type ReliabilityRow } from './section.js';

/** Sizes of the full (nightly) run; `ci` is what test/hardening/faults-*.test.ts run. */
const SIZES = {
  ci: { cycles: KILL9_CYCLES.ci, ...FORK_BOMB },
  full: { cycles: KILL9_CYCLES.full, children: 300, requests: 24, waves: 10 },
} as const;

const PROSE = [
  'Each fault and the state it ends in (the tests assert these; every case also ends with no process of its own left, found by walking /proc for the bridge\'s descendants and the case\'s pids, and the bridge\'s open descriptors back at their idle baseline, polled until they settle rather than sampled once):',
  '',
  '- **kill -9 during writes.** The bridge is SIGKILLed at a random moment while rules, MCP registry entries and settings are written as fast as five writers can. After each kill `config.json` and `mcp-servers.json` load with the bridge\'s own loaders (JSON and zod), SQLite passes `PRAGMA integrity_check`, and every write acknowledged with a 2xx is there, on disk and through the restarted bridge (acknowledged means durable; a write in flight at the kill may be there or not). A kill can leave one write-file-atomic temp file (`<file>.<number>`) per file; the next start removes them.',
  '- **A child and its grandchild ignore SIGTERM.** `terminate` sends SIGTERM to the process group, then SIGKILL after `killGraceMs`; the run ends `terminated` with `signal: "SIGKILL"`, and the reply comes once the group is gone.',
  '- **Fork bomb.** `terminate` or the run\'s timeout signals the whole process group: `terminated` / `timed_out`, every forked process gone. A shell that exits at once, leaving its children running with their output elsewhere, no longer leaves them behind: the rest of the group is stopped (SIGTERM, SIGKILL after `killGraceMs`) before the run ends.',
  '- **Requests beyond `maxConcurrentRuns`.** Allowed runs over the limit are queued; with the queue full (`maxQueuedRuns`, 0 in this workload) the excess gets 429 `rate_limited` (`details.maxConcurrentRuns`, `retryAfterMs`); /proc never shows more run process groups than the limit, even while shells leave children behind.',
  '- **MCP server that never answers a tool call.** The call ends 504 `mcp_timeout` after its `timeoutMs`; the server stays `connected` (it still answers pings); `disconnect` replies once its process is gone, SIGKILL included.',
  '- **MCP server that never answers `initialize`.** Each attempt fails after `mcp.connectTimeoutMs` and its process tree is killed before the failure is reported; after `mcp.reconnect.maxAttempts` restarts it is `failed` (`lastErrorCode: upstream_error`). Disconnected while still connecting, `disconnect` replies once that attempt\'s process is gone.',
  '- **MCP server that crashes mid-call.** The call ends 502 `upstream_error`; the server goes `reconnecting` and is restarted without a new prompt (`connected`, new pid).',
  '- **Inhibitor that keeps dying.** Restarted with exponential backoff (`awake.restart`); after `maxAttempts` deaths in a row the inhibitor is `failed` (`active: false`, the lock still listed); releasing the lock makes it `idle`, and the next lock starts a fresh inhibitor. No inhibitor process outlives its locks.',
  '',
  'Not covered by process groups: a descendant that calls `setsid()` leaves the run\'s group and is not signalled by `terminate`.',
].join('\n');

export const faultsReport: ReliabilityPart = async (size) => {
  const sizes = SIZES[size];
  const kill9 = await runKill9Workload({ cycles: sizes.cycles, onCycle: (line) => process.stderr.write(`  ${line}\n`) });
  const acked = kill9.acknowledged;
  const rows: ReliabilityRow[] = [
    { name: 'kill -9 cycles', value: count(kill9.cycles), note: `random kill moment during writes (seed ${kill9.seed}), restart on the same home; ${(kill9.durationMs / 1000).toFixed(0)} s` },
    {
      name: 'writes acknowledged before a kill',
      value: count(acked.rules + acked.serversAdded + acked.serversRemoved + acked.config),
      note: `${count(acked.rules)} whitelist rules, ${count(acked.serversAdded)} MCP servers added, ${count(acked.serversRemoved)} removed, ${count(acked.config)} settings changes (${count(kill9.requests)} requests)`,
    },
    { name: 'acknowledged facts checked after kills', value: count(kill9.checks), note: 'every acknowledged rule, server and setting, after every kill: on disk and through the restarted bridge' },
    { name: 'acknowledged writes lost', value: count(kill9.lost.length), note: kill9.lost.slice(0, 3).join('; ') || 'acknowledged means durable' },
    { name: 'files failing to load after a kill', value: count(kill9.unparsable.length), note: kill9.unparsable.slice(0, 3).join('; ') || 'config.json and mcp-servers.json, with the bridge\'s own JSON + zod loaders' },
    { name: 'SQLite integrity_check failures', value: count(kill9.integrity.length), note: 'PRAGMA integrity_check after each kill' },
    { name: 'unexpected replies while alive', value: count(kill9.unexpected.length), note: kill9.unexpected.slice(0, 3).join('; ') || 'every write answered 2xx until the kill' },
    { name: 'writes in flight at a kill', value: count(kill9.inFlightAtKill), note: 'no reply: may be saved or not, both accepted' },
    {
      name: 'temp files left by a kill',
      value: `max ${Math.max(0, ...kill9.tempFilesPerKill)}, ${count(kill9.tempFilesAtEnd.length)} at the end`,
      note: 'write-file-atomic `<file>.<number>` files; removed at the next start',
    },
  ];

  const fb = await startFaultBridge();
  const outcomes: FaultOutcome[] = [];
  try {
    outcomes.push(await sigtermIgnoringRun(fb));
    outcomes.push(await forkBomb(fb, sizes.children, 'terminate'));
    outcomes.push(await forkBomb(fb, sizes.children, 'timeout'));
    outcomes.push(await concurrentForkBombs(fb, sizes.requests, sizes.waves));
    outcomes.push(await mcpHangingCall(fb));
    outcomes.push(await mcpHangingInitialize(fb));
    outcomes.push(await mcpCrashMidCall(fb));
    outcomes.push(await dyingInhibitor(fb));
  } finally {
    await fb.close();
  }
  for (const outcome of outcomes) {
    rows.push({
      name: outcome.fault,
      value: outcome.endState,
      note: `leaked processes ${outcome.leaked.length + outcome.aliveAtReply.length}, fd delta ${outcome.fdDelta} (baseline ${fb.fdBaseline})`,
    });
  }
  const leaked = outcomes.reduce((sum, o) => sum + o.leaked.length + o.aliveAtReply.length, 0);
  rows.push({ name: 'leaked processes, all fault cases', value: count(leaked), note: 'alive when the bridge said gone, or still alive once settled (/proc)' });
  rows.push({ name: 'bridge fd delta, worst case', value: String(Math.max(...outcomes.map((o) => o.fdDelta))), note: '/proc/<bridge pid>/fd against the idle baseline, once settled' });

  return { title: 'Faults', command: 'npm run reliability -- faults', rows, prose: PROSE };
};
