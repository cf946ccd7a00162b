/**
 * The binary WebSocket frame of a command output chunk (`system.command.stdout|stderr`), sent
 * instead of the JSON text frame to a socket opened with `outputFrames=binary`:
 *
 *   byte 0        frame kind: 1 (an output chunk)
 *   bytes 1–4     header length N, unsigned 32-bit big-endian
 *   bytes 5…5+N   the header: the event envelope as UTF-8 JSON, its `data` without `chunk`
 *                 ({ seq, type, ts, data: { runId, offset, bytes } })
 *   the rest      the chunk's raw bytes: exactly `data.bytes` of them, from `data.offset`
 *
 * Raw bytes rather than a JSON string: the bridge sends what the process printed without
 * decoding, escaping and quoting it, and the client reads it without parsing 64 KiB of JSON.
 * Imported by the bridge and by the typed client (no Node-only API here).
 */
export const OUTPUT_FRAME_KIND = 1;
const PREFIX_BYTES = 5;

export interface OutputFrameHeader {
  seq: number;
  type: 'system.command.stdout' | 'system.command.stderr';
  ts: string;
  data: { runId: string; offset: number; bytes: number };
  [key: string]: unknown;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * What precedes the bytes (kind, length, header JSON). The bridge sends it and the bytes as two
 * fragments of one WebSocket message, so the bytes are never copied; `encodeOutputFrame` joins them.
 */
export function encodeOutputFrameHeader(header: OutputFrameHeader, byteCount: number): Uint8Array {
  if (header.data.bytes !== byteCount) throw new RangeError(`an output frame of ${byteCount} bytes says it has ${header.data.bytes}`);
  const json = encoder.encode(JSON.stringify(header));
  const prefix = new Uint8Array(PREFIX_BYTES + json.length);
  prefix[0] = OUTPUT_FRAME_KIND;
  new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength).setUint32(1, json.length, false);
  prefix.set(json, PREFIX_BYTES);
  return prefix;
}

/** One whole frame (header and bytes in a single buffer). */
export function encodeOutputFrame(header: OutputFrameHeader, bytes: Uint8Array): Uint8Array {
  const prefix = encodeOutputFrameHeader(header, bytes.length);
  const frame = new Uint8Array(prefix.length + bytes.length);
  frame.set(prefix, 0);
  frame.set(bytes, prefix.length);
  return frame;
}

/**
 * The header and a view of the bytes (no copy), or null for anything that is not a well-formed
 * output frame: another kind (a newer bridge's), a short frame, a header that is not the JSON of an
 * output event, or a byte count that disagrees with the payload.
 */
export function decodeOutputFrame(frame: Uint8Array): { header: OutputFrameHeader; bytes: Uint8Array } | null {
  if (frame.length < PREFIX_BYTES || frame[0] !== OUTPUT_FRAME_KIND) return null;
  const length = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(1, false);
  if (PREFIX_BYTES + length > frame.length) return null;
  let header: unknown;
  try {
    header = JSON.parse(decoder.decode(frame.subarray(PREFIX_BYTES, PREFIX_BYTES + length)));
  } catch {
    return null;
  }
  const bytes = frame.subarray(PREFIX_BYTES + length);
  if (!isOutputHeader(header) || header.data.bytes !== bytes.length) return null;
  return { header, bytes };
}

function isOutputHeader(value: unknown): value is OutputFrameHeader {
  if (typeof value !== 'object' || value === null) return false;
  const header = value as Record<string, unknown>;
  const data = header.data as Record<string, unknown> | null | undefined;
  return (
    typeof header.seq === 'number' &&
    (header.type === 'system.command.stdout' || header.type === 'system.command.stderr') &&
    typeof header.ts === 'string' &&
    typeof data === 'object' &&
    data !== null &&
    typeof data.runId === 'string' &&
    Number.isInteger(data.offset) &&
    Number.isInteger(data.bytes)
  );
}
