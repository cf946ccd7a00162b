import { z } from 'zod';
import {
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_OUTPUT_BUFFER_BYTES,
  DEFAULT_PORT,
  DEFAULT_PROMPT_TIMEOUT_MS,
  DEFAULT_SESSION_TTL_MS,
} from '../contract/constants.js';

/** An origin as browsers send it: scheme, host and optional port, nothing else. */
export const originSchema = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
}, 'must be an exact origin such as https://app.example.com (scheme, host, optional port; no path or trailing slash)');

/** The persisted configuration. Every field has a default, so `{}` is a valid file. */
export const configSchema = z.strictObject({
  port: z.number().int().min(1).max(65535).default(DEFAULT_PORT).describe('The one port the bridge binds; never changed automatically.'),
  allowedOrigins: z.array(originSchema).default([]).describe('Web-app origins allowed to hand-shake, matched exactly.'),
  trayMode: z.boolean().default(false),
  sessionTtlMs: z.number().int().min(1000).default(DEFAULT_SESSION_TTL_MS),
  promptTimeoutMs: z.number().int().min(1).default(DEFAULT_PROMPT_TIMEOUT_MS),
  defaultCommandTimeoutMs: z.number().int().min(1).default(DEFAULT_COMMAND_TIMEOUT_MS),
  outputBufferBytes: z.number().int().min(1024).default(DEFAULT_OUTPUT_BUFFER_BYTES),
  maxConcurrentRuns: z.number().int().min(1).default(32),
  eventBufferSize: z.number().int().min(16).default(10_000).describe('Events kept in memory for `since` replay.'),
  wsQueueLimit: z.number().int().min(16).default(2_000).describe('Frames queued for one socket before it is closed as too slow.'),
  bodyLimitBytes: z.number().int().min(1024).default(16 * 1024 * 1024),
  handshakeRateLimit: z
    .strictObject({ max: z.number().int().min(1).default(30), windowMs: z.number().int().min(100).default(60_000) })
    .default({ max: 30, windowMs: 60_000 }),
  denyList: z
    .array(z.string().min(1))
    .default([])
    .describe('Executables (names or absolute paths) the bridge refuses to run, whatever the user says.'),
  approvals: z.strictObject({ localOnly: z.boolean().default(false) }).default({ localOnly: false }),
  filesystem: z
    .strictObject({
      roots: z.array(z.strictObject({ path: z.string().min(1), access: z.enum(['read', 'read-write']).default('read') })).default([]),
      maxReadBytes: z.number().int().min(1).default(10 * 1024 * 1024),
      maxWriteBytes: z.number().int().min(1).default(10 * 1024 * 1024),
    })
    .default({ roots: [], maxReadBytes: 10 * 1024 * 1024, maxWriteBytes: 10 * 1024 * 1024 }),
  awake: z
    .strictObject({
      inhibitorCommand: z.array(z.string().min(1)).min(1).optional().describe('Overrides the platform inhibitor; `{reason}` is replaced by the lock reasons.'),
    })
    .default({}),
  mcp: z
    .strictObject({
      reconnect: z
        .strictObject({
          maxAttempts: z.number().int().min(0).default(5).describe('Restarts of a crashed server before it is marked failed.'),
          initialDelayMs: z.number().int().min(1).default(500).describe('First restart delay; doubles after each failed attempt.'),
          maxDelayMs: z.number().int().min(1).default(30_000),
        })
        .prefault({}),
      connectTimeoutMs: z.number().int().min(1).default(30_000).describe('Longest wait for a server to answer `initialize`.'),
      callHardCapMs: z.number().int().min(1).max(600_000).default(600_000).describe('No tool call lasts longer, whatever its progress notifications.'),
      stderrTailLines: z.number().int().min(1).max(10_000).default(100).describe('Lines of a stdio server\'s stderr kept for its details.'),
      pingIntervalMs: z.number().int().min(0).default(30_000).describe('Each live server is pinged this often; a failed ping counts as a crash. 0 disables.'),
      closeGraceMs: z.number().int().min(0).default(2_000).describe('Time a stdio server gets to exit after its stdin closes, before its process tree is killed.'),
    })
    .prefault({}),
  natsUrl: z.string().url().optional().describe('Use this NATS server as the bus instead of the embedded one.'),
});

export type BridgeConfig = z.infer<typeof configSchema>;
export type BridgeConfigInput = z.input<typeof configSchema>;
