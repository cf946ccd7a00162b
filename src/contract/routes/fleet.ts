import { z } from 'zod';
import { defineRoute } from '../route.js';

/**
 * Pairing fleet orchestrators on a running bridge (docs/fleet.md): what `osloop-bridge fleet
 * pair|unpair` asks when a bridge runs, so the change applies at once (an unpaired orchestrator's
 * sessions die at its next request), with the label the Settings page's key list cannot carry.
 */
const orchestratorKeySchema = z.string().regex(/^[UA][A-Z2-7]{55}$/, 'must be an nkey public key (U… or A…, 56 characters)');

export const pairedOrchestratorsReplySchema = z.object({
  orchestrators: z.array(z.object({ key: z.string(), label: z.string().nullable(), pairedAt: z.iso.datetime() })).describe('Every paired orchestrator after the change.'),
});

export const uiFleetList = defineRoute({
  id: 'ui.fleet.orchestrators.list',
  method: 'GET',
  path: '/api/v1/ui/fleet/orchestrators',
  auth: 'ui',
  summary: 'The paired fleet orchestrators, with their labels and when each was paired (local UI only)',
  reply: pairedOrchestratorsReplySchema,
});

export const uiFleetPair = defineRoute({
  id: 'ui.fleet.orchestrators.pair',
  method: 'POST',
  path: '/api/v1/ui/fleet/orchestrators',
  auth: 'ui',
  summary: 'Pair a fleet orchestrator by its public key, at once, or rename one already paired (local UI and `osloop-bridge fleet pair`)',
  body: z.strictObject({
    key: orchestratorKeySchema.describe('The orchestrator\'s nkey public key; its checksum is checked too.'),
    label: z
      .string()
      .trim()
      .max(200)
      .nullable()
      .optional()
      .describe('A name shown in Settings. For a key already paired: a string or null replaces its label (an empty string clears it); left out, the label stays.'),
  }),
  reply: pairedOrchestratorsReplySchema,
});

export const uiFleetUnpair = defineRoute({
  id: 'ui.fleet.orchestrators.unpair',
  method: 'DELETE',
  path: '/api/v1/ui/fleet/orchestrators/:key',
  auth: 'ui',
  summary: 'Unpair a fleet orchestrator at once: its requests and sessions are refused from now on (local UI and `osloop-bridge fleet unpair`)',
  params: z.strictObject({ key: orchestratorKeySchema }),
  reply: pairedOrchestratorsReplySchema,
});
