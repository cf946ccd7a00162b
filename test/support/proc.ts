import { readFileSync } from 'node:fs';

/**
 * Whether `/proc` shows `pid` alive. A zombie (Z) or dead (X) process has ended and only waits
 * to be reaped — in this sandbox PID 1 never reaps orphans, so they linger.
 */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
