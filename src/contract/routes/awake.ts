import { z } from 'zod';
import { principalSchema } from '../principal.js';
import { defineRoute } from '../route.js';
import { resourceIdSchema } from './common.js';

/** The longest delay a timer can have (2^31 - 1 ms); a longer one would fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/** One reason the machine must not sleep. */
export const awakeLockSchema = z.object({
  lockId: resourceIdSchema,
  reason: z.string(),
  holder: principalSchema.describe('Who acquired the lock (for a run\'s lock: who started the run).'),
  acquiredAt: z.iso.datetime(),
  expiresAt: z.iso.datetime().nullable().describe('Null: held until released (or until its run ends).'),
  runId: resourceIdSchema.optional().describe('Set for the lock a `keepAwake` run holds for its lifetime.'),
});
export type AwakeLock = z.infer<typeof awakeLockSchema>;

/** The one supervised process that keeps the machine awake while any lock is held. */
export const inhibitorSchema = z.object({
  state: z
    .enum(['idle', 'starting', 'running', 'restarting', 'failed'])
    .describe('idle: no lock held. restarting: it died and is restarted with backoff. failed: it gave up; see `reason`.'),
  pid: z.number().int().optional(),
  restarts: z.number().int().min(0),
  command: z.string().optional().describe('The inhibitor in use, e.g. systemd-inhibit, caffeinate, powershell.'),
});

export const awakeStateSchema = z.object({
  supported: z.boolean().describe('False when no inhibitor can work on this machine (e.g. no logind); locks are then refused.'),
  reason: z.string().optional().describe('Why it is unsupported, or why the inhibitor failed.'),
  active: z.boolean().describe('Sleep is being prevented right now.'),
  inhibitor: inhibitorSchema,
});

export const awakeStatusSchema = awakeStateSchema.extend({ locks: z.array(awakeLockSchema) });
export type AwakeStatus = z.infer<typeof awakeStatusSchema>;

export const awakeStatus = defineRoute({
  id: 'awake.status',
  method: 'GET',
  path: '/api/v1/awake/status',
  auth: 'session_or_ui',
  summary: 'Sleep prevention status',
  reply: awakeStatusSchema,
});

export const awakeAcquire = defineRoute({
  id: 'awake.acquire',
  method: 'POST',
  path: '/api/v1/awake/acquire',
  auth: 'session_or_ui',
  summary: 'Prevent system sleep',
  body: z.strictObject({
    reason: z.string().min(1).max(500).describe('Shown to the user as why the machine stays awake.'),
    ttlMs: z
      .number()
      .int()
      .positive()
      .max(MAX_TIMER_MS)
      .optional()
      .describe('Release automatically after this long (at most about 24.8 days); omitted: held until released.'),
  }),
  reply: awakeLockSchema.describe('501 `unsupported` when the machine cannot be kept awake.'),
  successStatus: 201,
});

export const awakeRelease = defineRoute({
  id: 'awake.release',
  method: 'POST',
  path: '/api/v1/awake/release',
  auth: 'session_or_ui',
  summary: 'Release sleep lock',
  body: z.strictObject({ lockId: resourceIdSchema }),
  reply: z.object({
    lockId: resourceIdSchema,
    released: z.boolean().describe('False when the lock was already gone (released, expired or unknown): release is idempotent.'),
  }),
});
