import { HUNG_AFTER_MS, runStopStress, STOP_DEADLINE_MS, STOP_STRESS_CYCLES } from '../../test/hardening/workloads/stop-stress.js';
import { count, type ReliabilityPart } from './section.js';

const PROSE = [
  '**Root cause of the bridge that outlived two SIGTERMs (issue 16).** pino\'s default destination is sonic-boom, which writes the raw stdout descriptor itself, and pino registers an `exit` hook that flushes it synchronously (`on-exit-leak-free → autoEnd → flushSync`). When the reader of the bridge\'s stdout stops reading (or goes away while another process still holds the other end, so there is no EPIPE), two things happen, depending on whether the shared file description is non-blocking: blocking, every log line is a `write(2)` that stalls the main thread (`anon_pipe_write` in /proc/<pid>/stack: the bridge never even finishes starting); non-blocking, `flushSync` retries EAGAIN in an `Atomics.wait` sleep loop for ever — the futex the report saw. The flag is not the bridge\'s to keep: it belongs to the open file description, which every process holding it shares, and libuv clears it in each child spawned with an inherited stdout or stderr (tsx\'s esbuild service, a window started with `stdio: \'inherit\'`). The second SIGTERM called `process.exit(130)`, which runs the same exit hook, so it hung too; meanwhile the event loop no longer turned, so a `systemd-inhibit` that had exited was never reaped (the zombie) and the login-shell probe\'s handle dangled.',
  '',
  '**The fix.** (1) Log lines go through `src/log-destination.ts`: on Linux a pipe on stdout is reopened through `/proc/self/fd/1` as a description of the bridge\'s own, made non-blocking, which no child can turn blocking; anything else uses Node\'s stdout stream. Writes queue in memory up to 1 MiB; past that, or once the reader is gone (EPIPE), lines are dropped and counted, and a single line saying how many were dropped is written when writing works again. Nothing is flushed at exit. No pino transport either (its worker is flushed with `Atomics.wait` at exit); pretty printing runs in-thread. (2) `src/cli/process-exit.ts`: the first SIGINT/SIGTERM/SIGHUP starts the orderly stop and arms a deadline (10 s; `OSLOOP_STOP_DEADLINE_MS`); a second signal, or the deadline (after a warning naming the busy resources), ends the process with the signal\'s default action restored — not `process.exit()`, which runs exit hooks and then joins libuv\'s thread pool and worker threads, any of which a blocked `write(2)` can hold. (3) `src/processes/process-groups.ts` tracks every process group the bridge starts (runs, the login-shell and version probes, the inhibitor) and SIGKILLs what is left, synchronously, on any exit, so a stop in the middle of a probe leaves nothing running.',
  '',
  `**The test that shows it.** \`test/hardening/stop-stress.test.ts\` starts and stops the compiled CLI ${STOP_STRESS_CYCLES.ci} times on one home with a seeded random output mode (a reader that reads; one that never reads, the pipe already full; one that closed early; a parent that signals the bridge's process group and exits at once, as in the report), stop moment (during start-up probes, serving, with a live run and an awake lock) and one or two signals. Every cycle must end within ${HUNG_AFTER_MS / 1000} s of the first signal (the stop deadline is ${STOP_DEADLINE_MS / 1000} s), leave no process group it started alive, and leave no zombie child unreaped while it lived (/proc). Run against the code before the fix (commit 7f989ae, with only this workload copied in), seed 1 left 2 of its 16 bridges hung, both with a reader that never read; after it, the same seed passes.`,
].join('\n');

export const stopsReport: ReliabilityPart = async (size) => {
  const cycles = STOP_STRESS_CYCLES[size];
  const started = Date.now();
  const figures = await runStopStress({ cycles });
  const exits = figures.cycles.map((c) => c.exitMs).sort((a, b) => a - b);
  const by = (key: 'output' | 'moment') => {
    const counts = new Map<string, number>();
    for (const cycle of figures.cycles) counts.set(cycle[key], (counts.get(cycle[key]) ?? 0) + 1);
    return [...counts].map(([name, n]) => `${name} ${n}`).join(', ');
  };
  return {
    title: 'Stops',
    command: 'npm run reliability -- stops',
    rows: [
      { name: 'start/stop cycles', value: count(figures.cycles.length), note: `seed ${figures.seed}; outputs: ${by('output')}; moments: ${by('moment')}; ${((Date.now() - started) / 1000).toFixed(0)} s` },
      { name: 'bridges that did not end', value: count(figures.hung.length), note: `alive ${HUNG_AFTER_MS / 1000} s after the first signal` },
      { name: 'time from first signal to exit', value: `p50 ${exits[Math.floor(exits.length / 2)] ?? 0} ms, max ${exits.at(-1) ?? 0} ms`, note: `orderly stop deadline ${STOP_DEADLINE_MS} ms` },
      { name: 'cycles that left a process or a zombie', value: count(figures.leaked.length), note: figures.leaked.slice(0, 2).map((c) => JSON.stringify(c)).join('; ') || 'process groups it started, alive after it ended; children left unreaped while it lived' },
    ],
    prose: PROSE,
  };
};
