import { z } from 'zod';
import { defineRoute } from '../route.js';
import { idParams } from './common.js';
import { runtimeSchema } from './bridge.js';

/** One line of the connection log the status window shows. */
export const connectionLogEntrySchema = z.object({
  id: z.number().int(),
  at: z.iso.datetime(),
  kind: z.enum(['handshake', 'refresh', 'route', 'ws_upgrade', 'ws_closed', 'failure']),
  method: z.string(),
  path: z.string().describe('Path without the query string (tokens never appear here).'),
  status: z.number().int(),
  origin: z.string().nullable(),
  sessionId: z.string().nullable(),
  errorCode: z.string().nullable(),
  malformed: z.boolean().describe('True for malformed forms of contract paths, e.g. /api/v1/api/v1/…'),
  hint: z.string().nullable(),
  durationMs: z.number().nullable(),
});
export type ConnectionLogEntry = z.infer<typeof connectionLogEntrySchema>;

export const uiConnectionLog = defineRoute({
  id: 'ui.connections',
  method: 'GET',
  path: '/api/v1/ui/connections',
  auth: 'ui',
  summary: 'Recent localhost connection log (local UI only)',
  query: z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(200) }),
  reply: z.object({ entries: z.array(connectionLogEntrySchema), capacity: z.number().int() }),
});

export const uiActors = defineRoute({
  id: 'ui.actors',
  method: 'GET',
  path: '/api/v1/ui/actors',
  auth: 'ui',
  summary: 'Every live actor with its state and redacted context (local UI only)',
  reply: z.object({
    actors: z.array(
      z.object({
        kind: z.string(),
        actorId: z.string(),
        parentId: z.string().nullable(),
        state: z.unknown().describe('XState state value'),
        status: z.enum(['active', 'done', 'error', 'stopped']),
        context: z.record(z.string(), z.unknown()).describe('Redacted summary'),
      }),
    ),
  }),
});

export const uiStatus = defineRoute({
  id: 'ui.status',
  method: 'GET',
  path: '/api/v1/ui/status',
  auth: 'ui',
  summary: 'Runtime state, uptime and live actor counts (local UI and `osloop-bridge status`)',
  reply: runtimeSchema.extend({
    bridgeId: z.string(),
    version: z.string(),
    uptimeMs: z.number().int(),
    actors: z.record(z.string(), z.number().int()).describe('Live actors by kind.'),
  }),
});

/**
 * The settings the local UI edits. They are persisted in the config file; the port applies on the
 * next start only (a running bridge never changes its port), the rest at once.
 */
export const settingsSchema = z.object({
  port: z.number().int().describe('The configured port, used from the next start on.'),
  runningPort: z.number().int().describe('The port this bridge process was started with.'),
  restartRequired: z.boolean().describe('True when `port` differs from `runningPort`: restart the bridge to apply it.'),
  trayMode: z.boolean().describe('Closing the desktop window hides it to the tray instead of quitting.'),
  allowedOrigins: z.array(z.string()).describe('Web-app origins allowed to hand-shake, matched exactly.'),
  promptTimeoutMs: z.number().int().describe('How long a permission prompt waits for the user.'),
  defaultCommandTimeoutMs: z.number().int().describe('Timeout of a command run that sets none.'),
  denyList: z.array(z.string()).describe('Executables the bridge refuses to run, whatever anyone answers.'),
  approvalsLocalOnly: z.boolean().describe('Only the local UI may resolve permission prompts.'),
  approvalsChosenAt: z.iso
    .datetime()
    .nullable()
    .describe('When the user chose `approvalsLocalOnly` (saving it records the choice); null: not yet, and the status window asks.'),
  fleetOrchestrators: z.array(z.string()).describe('Orchestrator public keys paired for the NATS fleet (docs/fleet.md); their jobs still prompt here.'),
  portFromCommandLine: z.boolean().describe('This process was started with `--port`, which overrides `port` for this run only; a start without it uses `port`.'),
  devMode: z.boolean().describe('Started with `--dev`: any http://localhost or http://127.0.0.1 page, on any port, may hand-shake.'),
  effectiveOrigins: z
    .array(
      z.object({
        origin: z.string().describe('An exact origin, or a pattern such as `http://localhost:*` for dev mode.'),
        source: z.enum(['settings', 'command_line', 'bridge_ui', 'dev_mode']).describe('Where the permission comes from: these settings, `--allow-origin`, the bridge\'s own pages, or `--dev`.'),
      }),
    )
    .describe('Every origin this running bridge lets in right now, whatever allowed it.'),
});
export type SettingsView = z.infer<typeof settingsSchema>;

export const uiSettingsGet = defineRoute({
  id: 'ui.settings.get',
  method: 'GET',
  path: '/api/v1/ui/settings',
  auth: 'ui',
  summary: 'Settings the local UI edits (local UI only)',
  reply: settingsSchema,
});

export const settingsPatchSchema = z
  .strictObject({
    port: z.number().int().min(1).max(65535).optional(),
    trayMode: z.boolean().optional(),
    allowedOrigins: z.array(z.string().min(1).max(2048)).max(200).optional().describe('Each an exact origin, e.g. https://app.example.com.'),
    promptTimeoutMs: z.number().int().min(1000).max(24 * 60 * 60 * 1000).optional(),
    defaultCommandTimeoutMs: z.number().int().min(1000).optional().describe('No maximum, as for runs.'),
    denyList: z.array(z.string().min(1).max(4096)).max(1000).optional(),
    approvalsLocalOnly: z.boolean().optional(),
    fleetOrchestrators: z
      .array(z.string().regex(/^[UA][A-Z2-7]{55}$/, 'must be an nkey public key (U… or A…, 56 characters)'))
      .max(64)
      .optional()
      .describe('The whole list of paired orchestrator keys; a key left out is unpaired.'),
  })
  .refine((body) => Object.keys(body).length > 0, 'must change at least one setting');
export type SettingsPatch = z.infer<typeof settingsPatchSchema>;

export const uiSettingsUpdate = defineRoute({
  id: 'ui.settings.update',
  method: 'PATCH',
  path: '/api/v1/ui/settings',
  auth: 'ui',
  summary: 'Change settings; validated and saved atomically (local UI only)',
  body: settingsPatchSchema,
  reply: settingsSchema,
});

/** One state node of a machine, flattened: `parentId` rebuilds the hierarchy. */
export const machineNodeSchema = z.object({
  id: z.string().describe('XState node id, e.g. `bridge.bind_failed`; state values map onto these.'),
  key: z.string(),
  parentId: z.string().nullable(),
  type: z.enum(['atomic', 'compound', 'parallel', 'final', 'history']),
  initial: z.string().nullable().describe('Id of the initial child of a compound node.'),
  description: z.string().nullable(),
  entry: z.array(z.string()).describe('Names of entry actions.'),
  exit: z.array(z.string()),
  invoke: z.array(z.string()).describe('Names of the actors this state runs while active.'),
});

/** One transition: `targets` empty means it runs actions without leaving the state. */
export const machineTransitionSchema = z.object({
  source: z.string(),
  targets: z.array(z.string()),
  event: z.string().describe('The event as a person reads it: `listener.retry`, `after ttl`, `done: bindListener`, `always`.'),
  eventType: z.string().describe('The raw XState event type.'),
  guard: z.string().nullable(),
  actions: z.array(z.string()),
  reenter: z.boolean(),
});

export const machineDefinitionSchema = z.object({
  machineId: z.string().describe('Equals the `kind` of actors running this machine in `ui.actors` and the inspector stream.'),
  childKind: z.string().nullable().describe('Key in the root\'s child kinds; null for the root itself.'),
  nodes: z.array(machineNodeSchema),
  transitions: z.array(machineTransitionSchema),
});
export type MachineDefinition = z.infer<typeof machineDefinitionSchema>;

export const uiMachines = defineRoute({
  id: 'ui.machines',
  method: 'GET',
  path: '/api/v1/ui/machines',
  auth: 'ui',
  summary: 'Definitions of every machine kind, for the inspector\'s statecharts (local UI only)',
  reply: z.object({ machines: z.array(machineDefinitionSchema) }),
});

/** A live web-app session, as the settings page lists it; never its token. */
export const sessionViewSchema = z.object({
  sessionId: z.string(),
  origin: z.string().nullable(),
  clientName: z.string().nullable().describe('What the web app called itself at handshake; its own claim.'),
  expiresAt: z.iso.datetime(),
});

export const uiSessionsList = defineRoute({
  id: 'ui.sessions.list',
  method: 'GET',
  path: '/api/v1/ui/sessions',
  auth: 'ui',
  summary: 'Live web-app sessions (local UI only)',
  reply: z.object({ sessions: z.array(sessionViewSchema).describe('Newest expiry first.') }),
});

export const uiSessionsRevoke = defineRoute({
  id: 'ui.sessions.revoke',
  method: 'DELETE',
  path: '/api/v1/ui/sessions/:sessionId',
  auth: 'ui',
  summary: 'End a web-app session now: its token stops working (local UI only)',
  params: idParams('sessionId', 'The session, as listed.'),
  reply: z.object({ sessionId: z.string(), revoked: z.literal(true) }),
});
