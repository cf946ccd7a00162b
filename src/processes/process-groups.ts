import { onExit } from 'signal-exit';

/**
 * Every process the bridge started and has not seen end: command runs, probes (login shell,
 * versions, the inhibitor) and MCP servers. An orderly stop ends them with a grace period; an
 * exit that cannot wait (a second signal, an overrun deadline, a crash) still takes them along
 * with one SIGKILL each, sent synchronously, so nothing the bridge started outlives it.
 */
const tracked = new Map<number, 'group' | 'process'>();
let exitHookInstalled = false;

/**
 * Remembers `pid` until the returned function is called. `group`: the process leads its own
 * process group (`detached: true`), so its grandchildren go with it.
 */
export function trackProcess(pid: number, kind: 'group' | 'process'): () => void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // signal-exit runs this on `exit` and on a fatal signal nobody else handles.
    onExit(() => {
      killTrackedProcesses();
    });
  }
  tracked.set(pid, kind);
  return () => {
    tracked.delete(pid);
  };
}

/** SIGKILLs every tracked process (and group) now; returns how many were signalled. */
export function killTrackedProcesses(): number {
  let signalled = 0;
  for (const [pid, kind] of tracked) {
    try {
      process.kill(kind === 'group' && process.platform !== 'win32' ? -pid : pid, 'SIGKILL');
      signalled++;
    } catch {
      // Already gone.
    }
  }
  tracked.clear();
  return signalled;
}

/** How many processes are tracked (for tests and the exit warning). */
export function trackedProcessCount(): number {
  return tracked.size;
}
