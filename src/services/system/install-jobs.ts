import type { Principal } from '../../contract/principal.js';
import { isoAt } from '../../runtime/clock.js';
import type { InstallJobsRepository, StoredInstallJob } from '../../storage/install-jobs-repository.js';
import { requestOriginOf } from '../../storage/runs-repository.js';

/**
 * The install jobs of the retention window, stored in SQLite so a bridge restart forgets none: by
 * install id (runs details and terminate by the job's `runId`) and by `requestId` per origin (the
 * same `requestId` from the same origin finds the first install and starts nothing new). Their
 * steps are stored as runs of their own.
 */
export class InstallJobs {
  readonly #repository: InstallJobsRepository;
  readonly #retentionMs: () => number;
  readonly #now: () => number;
  #closed = false;

  constructor(repository: InstallJobsRepository, retentionMs: () => number, now: () => number) {
    this.#repository = repository;
    this.#retentionMs = retentionMs;
    this.#now = now;
  }

  /** A new install, with the `requestId` it was asked with, if any. */
  add(first: StoredInstallJob, requestId: string | null): void {
    this.#repository.add(first, requestOriginOf(first.details.requestedBy), requestId, this.#notBefore());
  }

  /** Records the install's latest state (an install ending after `close()` was interrupted at the stop). */
  update(last: StoredInstallJob): void {
    if (!this.#closed) this.#repository.update(last);
  }

  get(installId: string): StoredInstallJob | undefined {
    return this.#repository.get(installId, this.#notBefore());
  }

  /** The install a `requestId` of this origin started, if still remembered. */
  byRequest(principal: Principal, requestId: string): StoredInstallJob | undefined {
    return this.#repository.byRequest(requestOriginOf(principal), requestId, this.#notBefore());
  }

  /** Ends the jobs still live as interrupted (at a start: of the process that is gone; at a stop: of this one) and stops recording. */
  interruptLive(options: { close: boolean }): StoredInstallJob[] {
    const changed = this.#repository.interruptLive(isoAt(this.#now()));
    if (options.close) this.#closed = true;
    return changed;
  }

  #notBefore(): string {
    return isoAt(this.#now() - this.#retentionMs());
  }
}
