import type { Inhibitor, InhibitorCommand, InhibitorSupport } from './inhibitor.js';

/**
 * The in-memory twin of a platform inhibitor, for tests: a probe answering what the test says
 * and a command line it can recognise. Run it with the in-memory process runner.
 */
export class MemoryInhibitor implements Inhibitor {
  readonly name = 'memory-inhibitor';
  support: InhibitorSupport;
  /** Every `why` a process was started with. */
  readonly whys: string[] = [];

  constructor(support: InhibitorSupport = { supported: true }) {
    this.support = support;
  }

  async probe(): Promise<InhibitorSupport> {
    return this.support;
  }

  command(why: string): InhibitorCommand {
    this.whys.push(why);
    return { command: 'memory-inhibitor', args: [why] };
  }
}
