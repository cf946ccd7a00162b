import { z } from 'zod';

/**
 * The control channel's wire format: one JSON line per request, one JSON line per reply. Every
 * request carries the UI token, although only this OS user can open the socket in the first place.
 */
export const controlRequestSchema = z.discriminatedUnion('command', [
  z.strictObject({ token: z.string(), command: z.literal('status') }),
  z.strictObject({ token: z.string(), command: z.literal('retry') }),
  z.strictObject({ token: z.string(), command: z.literal('show'), page: z.string().regex(/^[a-z-]{1,32}$/).default('status') }),
]);
export type ControlRequest = z.input<typeof controlRequestSchema>;

export interface ControlStatus {
  pid: number;
  version: string;
  bridgeId: string;
  configuredPort: number;
  activePort: number | null;
  bindState: string;
  bindError: string | null;
}

export type ControlReply =
  | { ok: true; status: ControlStatus; shown?: boolean }
  | { ok: false; error: { code: string; message: string } };

/** Longest request line accepted; anything longer is not a control request. */
export const MAX_CONTROL_LINE = 4096;
