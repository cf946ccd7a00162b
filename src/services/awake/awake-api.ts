import { z } from 'zod';
import type { Subjects } from '../../bus/subjects.js';
import { principalSchema } from '../../contract/principal.js';
import { MAX_TIMER_MS } from '../../contract/routes/awake.js';
import { resourceIdSchema } from '../../contract/routes/common.js';

/**
 * The awake capability's internal bus API, for capabilities that keep the machine awake on a
 * user's behalf (a command run with `keepAwake: true` holds a lock for exactly its lifetime).
 *
 * `acquire` never fails because the platform cannot inhibit sleep: the lock is held and listed
 * (with its run), and the reply says `supported: false` — a run must not fail for that. The
 * public route, by contrast, answers 501 so that the web app knows.
 */
export const awakeSubjects = (subjects: Subjects) => ({
  acquire: subjects.internal('awake.acquire'),
  /** Idempotent: releasing a lock that is gone answers `released: false`. */
  release: subjects.internal('awake.release'),
});

export const awakeAcquireRequestSchema = z.strictObject({
  reason: z.string().min(1).max(500),
  /** Who the lock is held for: for a run, who started it. */
  holder: principalSchema,
  runId: resourceIdSchema.optional(),
  ttlMs: z.number().int().positive().max(MAX_TIMER_MS).optional(),
});
export type AwakeAcquireRequest = z.input<typeof awakeAcquireRequestSchema>;

export interface AwakeAcquireReply {
  lockId: string;
  /** False when nothing can keep this machine awake (see `GET /api/v1/awake/status`). */
  supported: boolean;
}

export const awakeReleaseRequestSchema = z.strictObject({
  lockId: resourceIdSchema,
  /** Default: `run_ended` for a run's lock, `released` otherwise. */
  cause: z.enum(['released', 'run_ended']).optional(),
});
export type AwakeReleaseRequest = z.input<typeof awakeReleaseRequestSchema>;

export interface AwakeReleaseReply {
  lockId: string;
  released: boolean;
}
