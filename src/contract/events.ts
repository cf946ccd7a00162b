import { z } from 'zod';
import { bindStateSchema, runtimeSchema } from './routes/bridge.js';

/**
 * Every contract event: its type and the schema of its `data`. The 33 names are fixed by the
 * foundation issue; payloads are one zod schema each.
 */
export const EVENT_SCHEMAS = {
  'bridge.started': z.object({ bridgeId: z.string(), version: z.string(), port: z.number().int() }),
  'bridge.stopping': z.object({ bridgeId: z.string(), reason: z.string() }),
  'bridge.runtime.updated': runtimeSchema.extend({ bindState: bindStateSchema }),
  'session.created': z.object({ sessionId: z.string(), origin: z.string().nullable(), clientName: z.string().nullable(), expiresAt: z.iso.datetime() }),
  'session.refreshed': z.object({ sessionId: z.string(), expiresAt: z.iso.datetime() }),
  'session.expired': z.object({ sessionId: z.string() }),
  // CONTRACT-EVENTS: the remaining 27 event payloads are declared below this line.
} as const;

export type EventType = keyof typeof EVENT_SCHEMAS;
export const EVENT_TYPES = Object.keys(EVENT_SCHEMAS) as EventType[];
export type EventData<T extends EventType> = z.infer<(typeof EVENT_SCHEMAS)[T]>;

/** A frame on `/ws/v1/events`: `seq` strictly increases per bridge process. */
export const eventEnvelopeSchema = z.object({
  seq: z.number().int().positive(),
  type: z.string(),
  ts: z.iso.datetime(),
  data: z.unknown(),
});
export type EventEnvelope<T extends EventType = EventType> = { seq: number; type: T; ts: string; data: EventData<T> };

/** Control frames the socket sends besides events. */
export const controlFrameSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('replay_gap'), requestedSince: z.number().int(), oldestAvailable: z.number().int(), message: z.string() }),
  z.object({ type: z.literal('ready'), lastSeq: z.number().int(), replayed: z.number().int() }),
]);
export type ControlFrame = z.infer<typeof controlFrameSchema>;
