import { z } from 'zod';
import { defineRoute } from '../route.js';
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
