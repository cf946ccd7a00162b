import type { Principal } from '../../contract/principal.js';
import { requestOriginOf } from '../../storage/runs-repository.js';

/** Most installs remembered; past it the oldest are forgotten first (a session can start many). */
const MAX_REMEMBERED = 1_000;

interface Job<T> {
  at: number;
  /** The install as last seen, so it can be looked up after its actor ended. */
  last: T;
}

/**
 * The install jobs of this process, for the retention window: by install id (runs details and
 * terminate by the job's `runId`) and by `requestId` per origin (the same `requestId` from the
 * same origin finds the first install and starts nothing new). Kept in memory: install jobs live
 * in the bridge process; their steps are stored as runs.
 */
export class InstallJobs<T> {
  readonly #jobs = new Map<string, Job<T>>();
  readonly #byRequest = new Map<string, string>();
  readonly #retentionMs: () => number;
  readonly #now: () => number;

  constructor(retentionMs: () => number, now: () => number) {
    this.#retentionMs = retentionMs;
    this.#now = now;
  }

  /** A new install, with the `requestId` it was asked with, if any. */
  add(installId: string, first: T, request: { principal: Principal; requestId: string } | null): void {
    this.#forgetExpired();
    this.#jobs.set(installId, { at: this.#now(), last: first });
    if (request) this.#byRequest.set(keyOf(request.principal, request.requestId), installId);
    for (const id of this.#jobs.keys()) {
      if (this.#jobs.size <= MAX_REMEMBERED) break;
      this.#jobs.delete(id);
    }
  }

  /** Records the install's latest state. */
  update(installId: string, last: T): void {
    const job = this.#jobs.get(installId);
    if (job) job.last = last;
  }

  get(installId: string): T | undefined {
    this.#forgetExpired();
    return this.#jobs.get(installId)?.last;
  }

  /** The install a `requestId` of this origin started, if still remembered. */
  byRequest(principal: Principal, requestId: string): { installId: string; last: T } | undefined {
    this.#forgetExpired();
    const installId = this.#byRequest.get(keyOf(principal, requestId));
    const job = installId === undefined ? undefined : this.#jobs.get(installId);
    return job && installId !== undefined ? { installId, last: job.last } : undefined;
  }

  #forgetExpired(): void {
    const oldest = this.#now() - this.#retentionMs();
    for (const [id, job] of this.#jobs) if (job.at < oldest) this.#jobs.delete(id);
    for (const [key, id] of this.#byRequest) if (!this.#jobs.has(id)) this.#byRequest.delete(key);
  }
}

function keyOf(principal: Principal, requestId: string): string {
  return `${requestOriginOf(principal)}\u0000${requestId}`;
}
