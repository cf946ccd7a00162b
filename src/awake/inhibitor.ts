import type { InhibitorSupport } from '../../machines/inhibitor.machine.js';

export type { InhibitorSupport } from '../../machines/inhibitor.machine.js';

/** The command line that keeps the machine awake for as long as it runs. */
export interface InhibitorCommand {
  command: string;
  args: string[];
}

/**
 * How this platform keeps the machine awake: a process to run while any lock is held. The
 * bridge runs it through its process runner (tree-killed when the last lock goes) and
 * supervises it; implementations only say what to run and whether it can work here.
 */
export interface Inhibitor {
  /** Shown in the status: systemd-inhibit, caffeinate, powershell, or the configured executable. */
  readonly name: string;
  /** Whether it can work on this machine at all (systemd-inhibit cannot without logind). */
  probe(): Promise<InhibitorSupport>;
  /** The process to run; `why` lists the reasons of the locks held. */
  command(why: string): InhibitorCommand;
}
