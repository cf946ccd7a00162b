import { z } from 'zod';
import {
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_OUTPUT_BUFFER_BYTES,
  DEFAULT_PORT,
  DEFAULT_PROMPT_TIMEOUT_MS,
  DEFAULT_SESSION_TTL_MS,
} from '../contract/constants.js';
import { natsConfigSchema } from '../fleet/fleet-config.js';

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
  maxConcurrentRuns: z.number().int().min(1).default(32).describe('Command runs that may hold a process at once; allowed runs over it are queued (FIFO).'),
  maxQueuedRuns: z.number().int().min(0).default(1_000).describe('Allowed runs that may wait for a slot; beyond it execute answers 429 rate_limited.'),
  maxHeldRequestsPerSession: z
    .number()
    .int()
    .min(0)
    .default(4)
    .describe('Executes of one session held open until the decision; beyond it they answer at once as with Prefer: respond-async (browsers open about 6 connections per origin).'),
  requestIdRetentionMs: z
    .number()
    .int()
    .min(1_000)
    .default(7 * 24 * 60 * 60 * 1000)
    .describe('How long a requestId is remembered: the same requestId from the same origin within it returns the first job.'),
  commandPath: z
    .enum(['login_shell', 'inherited'])
    .default('login_shell')
    .describe('Where commands are looked up: the user\'s login-shell PATH (asked once, at the first run, so a desktop-launched bridge finds nvm, Homebrew…), or the PATH the bridge inherited.'),
  killGraceMs: z.number().int().min(0).default(5_000).describe('How long a terminated or timed-out run\'s process tree gets between SIGTERM and SIGKILL.'),
  retainedOutputBytes: z
    .number()
    .int()
    .min(0)
    .default(256 * 1024 * 1024)
    .describe('Buffered output of finished runs kept in memory, in all; the oldest runs\' output is dropped first.'),
  eventBufferSize: z.number().int().min(16).default(10_000).describe('Events kept in memory for `since` replay.'),
  eventBufferBytes: z.number().int().min(64 * 1024).default(64 * 1024 * 1024).describe('…and at most this many bytes of them (output chunks are large).'),
  wsQueueLimit: z.number().int().min(16).default(2_000).describe('Frames queued for one socket before it is closed as too slow.'),
  bodyLimitBytes: z.number().int().min(1024).default(16 * 1024 * 1024),
  handshakeRateLimit: z
    .strictObject({ max: z.number().int().min(1).default(30), windowMs: z.number().int().min(100).default(60_000) })
    .default({ max: 30, windowMs: 60_000 }),
  denyList: z
    .array(z.string().min(1))
    .default([])
    .describe('Executables (names or absolute paths) the bridge refuses to run, whatever the user says.'),
  // Safe until the user chooses: only the bridge's own window answers prompts, so an agent in the
  // web app cannot approve itself. The Settings page (and its first-start notice) offers the choice.
  approvals: z
    .strictObject({
      localOnly: z.boolean().default(true),
      chosenAt: z.iso.datetime().nullable().default(null).describe('When the user made the choice; null: not yet (the UI asks).'),
    })
    .default({ localOnly: true, chosenAt: null }),
  filesystem: z
    .strictObject({
      roots: z
        .array(z.strictObject({ path: z.string().min(1), access: z.enum(['read', 'read-write']).default('read') }))
        .default([])
        .describe('Directories (or files) the web app may use, besides what the user picks; absolute or `~/…`.'),
      maxReadBytes: z.number().int().min(1).default(10 * 1024 * 1024),
      maxWriteBytes: z.number().int().min(1).default(10 * 1024 * 1024),
      nativePicker: z
        .enum(['auto', 'off'])
        .default('auto')
        .describe('auto: pickers also open the native dialog (zenity/kdialog, osascript, PowerShell) when there is one. off: only the bridge UI answers.'),
      uiPresenceMs: z
        .number()
        .int()
        .min(1000)
        .default(30_000)
        .describe('The bridge UI counts as open (able to answer pickers) this long after it last listed pickers.'),
    })
    .prefault({}),
  awake: z
    .strictObject({
      inhibitorCommand: z
        .array(z.string().min(1))
        .min(1)
        .optional()
        .describe('Overrides the platform inhibitor: an argument array; `{reason}` becomes the lock reasons, `{pid}` the bridge\'s pid.'),
      probeTimeoutMs: z.number().int().min(100).default(3_000).describe('Longest wait for the check that the inhibitor can work here.'),
      restart: z
        .strictObject({
          initialDelayMs: z.number().int().min(1).default(500).describe('Delay before restarting a dead inhibitor; doubles with each death in a row.'),
          maxDelayMs: z.number().int().min(1).default(30_000),
          maxAttempts: z.number().int().min(1).default(6).describe('Deaths in a row before the inhibitor is reported failed.'),
          stableMs: z.number().int().min(1).default(10_000).describe('An inhibitor alive this long resets the count of deaths in a row.'),
        })
        .prefault({}),
      killGraceMs: z.number().int().min(0).default(2_000).describe('Time the inhibitor gets between SIGTERM and SIGKILL when the last lock goes.'),
    })
    .prefault({}),
  system: z
    .strictObject({
      probeTimeoutMs: z
        .number()
        .int()
        .min(50)
        .default(1_000)
        .describe('Longest wait for one version probe (`git --version`…); probes run concurrently, so detection takes about this long at most.'),
      loginShellTimeoutMs: z.number().int().min(100).default(5_000).describe('Longest wait for the login shell to print its PATH.'),
      recipesFile: z
        .string()
        .min(1)
        .optional()
        .describe('A JSON file of extra install recipes, in the format of the built-in catalogue; a tool it names replaces the built-in recipe.'),
    })
    .prefault({}),
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
      serverRequestTimeoutMs: z
        .number()
        .int()
        .min(1)
        .default(300_000)
        .describe('How long a server\'s elicitation, sampling or roots request waits for an answer before the server gets a timeout error.'),
    })
    .prefault({}),
  natsUrl: z.string().url().optional().describe('Deprecated: read as `nats.servers: [natsUrl]`. The actor bus never leaves the process.'),
  nats: natsConfigSchema.describe('Joining a fleet of bridges driven by an orchestrator over NATS (docs/fleet.md).'),
});

export type BridgeConfig = z.infer<typeof configSchema>;
export type BridgeConfigInput = z.input<typeof configSchema>;
