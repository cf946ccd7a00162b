import { z } from 'zod';

/**
 * The `nats` section of the config: how this bridge joins a fleet, and which orchestrators it
 * obeys (subject to the user's prompts). Without `servers` (and without `--nats`) the bridge
 * does not touch NATS at all.
 */
const serverUrlSchema = z
  .string()
  .min(1)
  .max(2048)
  .refine((value) => {
    try {
      const url = new URL(value);
      return ['nats:', 'tls:', 'ws:', 'wss:'].includes(url.protocol) && !url.username && !url.password;
    } catch {
      return false;
    }
  }, 'must be a nats:// or tls:// URL without credentials (nats.js drops them silently; use nats.auth)');

const fileSchema = z.string().min(1).max(4096);

export const fleetAuthSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('identity') }).describe('This machine\'s own nkey (its machine id), listed as an nkey user on the server.'),
    z.strictObject({ kind: z.literal('creds'), credsFile: fileSchema.describe('A .creds file (JWT + nkey seed) from `nsc`.') }),
    z.strictObject({ kind: z.literal('nkey'), seedFile: fileSchema.describe('A file holding an nkey user seed (SU…).') }),
    z.strictObject({
      kind: z.literal('userPassword'),
      user: z.string().min(1).max(256),
      passwordFile: fileSchema.describe('A file holding the password, so it is not in the config.'),
    }),
  ])
  .describe('How the bridge authenticates to NATS. There is never an anonymous fallback.');

export const pairedOrchestratorSchema = z.strictObject({
  // The shape only: the config must load without the NATS modules; `fleet pair` checks the checksum.
  key: z.string().regex(/^[UA][A-Z2-7]{55}$/, 'must be an nkey public key (U… or A…, 56 characters)'),
  label: z.string().max(200).nullable().default(null),
  pairedAt: z.iso.datetime(),
});
export type PairedOrchestrator = z.infer<typeof pairedOrchestratorSchema>;

export const natsConfigSchema = z
  .strictObject({
    servers: z.array(serverUrlSchema).max(32).default([]).describe('Fleet NATS servers; empty: not in a fleet (unless started with --nats).'),
    auth: fleetAuthSchema.default({ kind: 'identity' }),
    tls: z
      .strictObject({
        caFile: fileSchema.describe('PEM CA bundle the server certificate must chain to.'),
        certFile: fileSchema.optional().describe('Client certificate (PEM), when the server asks for one.'),
        keyFile: fileSchema.optional(),
      })
      .optional()
      .describe('TLS to the servers; required by `tls://` URLs.'),
    orchestrators: z.array(pairedOrchestratorSchema).max(64).default([]).describe('Orchestrators paired with `osloop-bridge fleet pair <key>` or on the Settings page.'),
    heartbeatMs: z.number().int().min(200).max(60_000).default(5_000).describe('Presence heartbeat period (KV put and client pings).'),
    requestWindowMs: z.number().int().min(1_000).max(600_000).default(60_000).describe('How far a request\'s signed timestamp may be from this clock.'),
    sessionTtlMs: z
      .number()
      .int()
      .min(1_000)
      .max(24 * 3600_000)
      .default(15 * 60_000)
      .describe('How long a fleet session (opened by one signed handshake, then HMAC per request) lives before the orchestrator must open a new one.'),
  })
  .prefault({});
export type NatsConfig = z.infer<typeof natsConfigSchema>;
