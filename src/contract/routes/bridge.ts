import { z } from 'zod';
import { CAPABILITIES, PROTOCOL_VERSION } from '../constants.js';
import { defineRoute } from '../route.js';

export const bindStateSchema = z
  .enum(['binding', 'listening', 'bind_failed', 'stopping', 'stopped'])
  .describe('Listener state: the configured port is the only port ever tried.');

export const health = defineRoute({
  id: 'health',
  method: 'GET',
  path: '/api/v1/health',
  auth: 'none',
  summary: 'Health check and discovery',
  reply: z.object({
    status: z.literal('ok'),
    protocolVersion: z.literal(PROTOCOL_VERSION),
    bridgeVersion: z.string(),
    port: z.number().int().describe('The port this reply came through.'),
    capabilitiesCount: z.number().int(),
  }),
});

export const bridgeInfo = defineRoute({
  id: 'bridge.info',
  method: 'GET',
  path: '/api/v1/bridge/info',
  auth: 'session_or_ui',
  summary: 'Bridge metadata',
  reply: z.object({
    bridgeId: z.string().describe('Random id of this bridge process; prefixes its bus subjects.'),
    name: z.literal('osloop-bridge'),
    version: z.string(),
    protocolVersion: z.literal(PROTOCOL_VERSION),
    platform: z.string(),
    arch: z.string(),
    pid: z.number().int(),
    startedAt: z.iso.datetime(),
    uptimeMs: z.number().int(),
    bus: z.object({ kind: z.enum(['embedded', 'nats']), url: z.string().optional() }),
  }),
});

export const capabilityIdSchema = z.enum(CAPABILITIES);

export const capabilities = defineRoute({
  id: 'capabilities',
  method: 'GET',
  path: '/api/v1/capabilities',
  auth: 'session_or_ui',
  summary: 'List capabilities',
  reply: z.object({
    capabilities: z.array(
      z.object({
        id: capabilityIdSchema,
        available: z.boolean(),
        reason: z.string().optional().describe('Why an unavailable capability is unavailable.'),
      }),
    ),
  }),
});

export const runtimeSchema = z.object({
  configuredPort: z.number().int(),
  activePort: z.number().int().nullable(),
  bindState: bindStateSchema,
  bindError: z.string().nullable(),
  trayMode: z.boolean(),
  defaultCommandTimeoutMs: z.number().int(),
  promptTimeoutMs: z.number().int(),
  bus: z.enum(['embedded', 'nats']),
});

export const bridgeRuntime = defineRoute({
  id: 'bridge.runtime',
  method: 'GET',
  path: '/api/v1/bridge/runtime',
  auth: 'session_or_ui',
  summary: 'Runtime config (port, tray, timeout)',
  reply: runtimeSchema,
});
