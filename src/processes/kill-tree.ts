import { readdirSync, readFileSync } from 'node:fs';
import treeKill from 'tree-kill';

/** How often a dying process group is checked; polling is the only portable way to watch it. */
const POLL_MS = 25;
/** How long to wait for the forced kill to take effect before giving up on watching. */
const AFTER_KILL_WAIT_MS = 2_000;

/**
 * Stops a process tree started with its own process group (`detached: true`).
 *
 * POSIX: SIGTERM to the whole group (so grandchildren that outlived their parent, such as the
 * background job of `sh -c 'sleep 100 & sleep 100'`, are reached too), then SIGKILL to the group
 * if any member is still alive after `graceMs`. Windows has no process groups to signal:
 * `taskkill /PID <pid> /T /F` (through `tree-kill`) ends the tree at once.
 */
export async function killProcessTree(pid: number, graceMs: number, platform: NodeJS.Platform = process.platform): Promise<void> {
  if (platform === 'win32') {
    await new Promise<void>((resolve) => treeKill(pid, 'SIGKILL', () => resolve()));
    return;
  }
  if (!signalGroup(pid, 'SIGTERM')) return;
  if (await waitUntilGone(pid, graceMs)) return;
  signalGroup(pid, 'SIGKILL');
  await waitUntilGone(pid, AFTER_KILL_WAIT_MS);
}

/** Sends `signal` to every member of process group `pgid`; false when the group no longer exists. */
function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

async function waitUntilGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!groupAlive(pgid)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/**
 * Whether any living process is still in group `pgid`. On Linux, /proc is read so that zombies
 * do not count: an orphan killed in a container whose PID 1 never reaps stays a zombie forever,
 * though it is dead and holds nothing. Elsewhere `kill(-pgid, 0)` answers.
 */
export function groupAlive(pgid: number): boolean {
  if (process.platform === 'linux') {
    // Polled every POLL_MS, and scanning all of /proc costs a file read per process on the
    // machine: answer from the empty group or its living leader first, and scan only otherwise.
    if (!groupExists(pgid)) return false;
    const leader = readStat(String(pgid));
    if (leader && leader.pgid === pgid && leader.state !== 'Z' && leader.state !== 'X') return true;
    return livingGroupMembers(pgid).length > 0;
  }
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether any process, zombies included, is in group `pgid`. */
function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** PIDs of the living (non-zombie) processes of group `pgid`, read from /proc (Linux only). */
export function livingGroupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(entry);
    if (stat && stat.pgid === pgid && stat.state !== 'Z' && stat.state !== 'X') members.push(Number(entry));
  }
  return members;
}

/** Fields of /proc/<pid>/stat after the command name, which may itself hold spaces and parentheses. */
function readStat(pid: string): { state: string; pgid: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // the process ended while we looked
  }
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: rest[0] ?? '', pgid: Number(rest[2]) };
}
