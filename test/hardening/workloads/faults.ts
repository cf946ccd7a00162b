/**
 * The fault workloads (issue 7, "Hardening"): shared by the CI-size tests in test/hardening/
 * and by `npm run reliability -- faults`, which runs them at full size and reports the figures.
 */
export { runKill9Workload, type Kill9Figures, type Kill9Options } from './faults-kill9.js';

/** Kill -9 cycles: what the test suite runs, and the full size. */
export const KILL9_CYCLES = { ci: 3, full: 50 } as const;
export {
  concurrentForkBombs,
  dyingInhibitor,
  FAULT_LIMITS,
  forkBomb,
  mcpCrashMidCall,
  mcpHangingCall,
  mcpHangingInitialize,
  sigtermIgnoringRun,
  startFaultBridge,
  type FaultBridge,
  type FaultOutcome,
} from './faults-processes.js';

/** Fork-bomb sizes: children per bomb, concurrent requests and escaping waves. */
export const FORK_BOMB = { children: 200, requests: 12, waves: 2 } as const;
