import type { Logger } from 'pino';
import { stdoutLogDestination } from '../log-destination.js';
import { killTrackedProcesses, trackedProcessCount } from '../processes/process-groups.js';

/** How long a first signal's orderly stop may take before the process exits anyway. */
export const DEFAULT_STOP_DEADLINE_MS = 10_000;
/** How long a finished stop lets queued log lines drain before exiting. */
const LOG_DRAIN_MS = 250;

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type StopSignal = (typeof STOP_SIGNALS)[number];

export interface ProcessExit {
  /** Resolves with the first stop signal received. */
  readonly stopRequested: Promise<StopSignal>;
  /** Arms the deadline now (a stop that did not come from a signal, e.g. a failed bind). */
  armDeadline(): void;
  /** Ends the process with `code` once queued log lines had a moment to drain (never waits on them). */
  exit(code: number): void;
}

/**
 * How the CLI process ends, whatever state it is in:
 * - the first SIGINT/SIGTERM/SIGHUP asks for an orderly stop, which has `deadlineMs`; past it the
 *   process dies with a warning naming what was still busy;
 * - a second signal ends the process at once.
 *
 * "At once" cannot be `process.exit()`: it runs `exit` handlers (pino's used to flush
 * synchronously, forever, into a pipe nobody read), and then Node joins libuv's thread pool and
 * worker threads, which a `write(2)` blocked on a full pipe never lets go. A hard exit here is
 * the signal itself with its default action restored, so the kernel ends the process and the
 * parent sees the conventional "killed by SIGTERM/SIGINT"; SIGKILL backs it up. Processes the
 * bridge started are SIGKILLed first, synchronously, since no orderly stop will reach them.
 */
export function handleProcessExit(options: { logger: Logger; deadlineMs?: number }): ProcessExit {
  const { logger } = options;
  const deadlineMs = options.deadlineMs ?? deadlineFromEnv() ?? DEFAULT_STOP_DEADLINE_MS;
  let received: StopSignal | undefined;
  let requested: (signal: StopSignal) => void = () => {};
  const stopRequested = new Promise<StopSignal>((resolve) => (requested = resolve));
  let deadline: NodeJS.Timeout | undefined;

  const armDeadline = (signal: StopSignal = 'SIGTERM') => {
    deadline ??= setTimeout(() => {
      // getActiveResourcesInfo names handle kinds (TCPServerWrap, ChildProcess, FSReqCallback…).
      logger.warn({ busy: process.getActiveResourcesInfo(), liveProcesses: trackedProcessCount(), deadlineMs }, 'the orderly stop overran its deadline; exiting now');
      hardExit(signal);
    }, deadlineMs);
    // The deadline must not be what keeps a finished process alive.
    deadline.unref();
  };

  const onSignal = (signal: StopSignal) => {
    if (received) {
      hardExit(signal);
      return;
    }
    received = signal;
    armDeadline(signal);
    requested(signal);
  };
  // Installed before anything starts, so a signal during start-up (probes running) stops cleanly.
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  // A reader of stderr that went away must not crash the bridge with an unhandled EPIPE.
  process.stderr.on('error', () => {});

  return {
    stopRequested,
    armDeadline: () => armDeadline(),
    exit(code) {
      killTrackedProcesses();
      process.exitCode = code;
      // A short, unref'd wait: queued log lines usually drain; if they cannot, they are lost.
      setTimeout(() => process.exit(code), LOG_DRAIN_MS).unref();
      stdoutLogDestination().onceDrained(() => process.exit(code));
    },
  };
}

/** Ends the process now: nothing that runs in JavaScript or at `exit` can delay it. */
export function hardExit(signal: StopSignal): never {
  killTrackedProcesses();
  // With no listener left, libuv restores the default action, and the kernel ends the process.
  for (const each of STOP_SIGNALS) process.removeAllListeners(each);
  try {
    process.kill(process.pid, signal);
  } finally {
    process.kill(process.pid, 'SIGKILL');
  }
  throw new Error('unreachable: the process was killed');
}

/** `OSLOOP_STOP_DEADLINE_MS` shortens the orderly stop's deadline (tests, impatient service managers). */
function deadlineFromEnv(): number | undefined {
  const value = Number(process.env.OSLOOP_STOP_DEADLINE_MS);
  return Number.isInteger(value) && value > 0 ? value : undefined;
}
