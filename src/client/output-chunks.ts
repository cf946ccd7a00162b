import { decodeOutputFrame } from '../contract/output-frame.js';
import type { BridgeEvent } from './route-types.js';

/**
 * Turns binary output frames back into the events a JSON socket carries, `chunk` included:
 * the bytes are decoded as UTF-8, and a character split across two chunks is carried whole by the
 * later one, as the bridge does for JSON. Only a run and stream whose last chunk ended mid-character
 * keep anything here (those few bytes), until their next chunk or their end event.
 */
export class OutputChunkDecoder {
  readonly #text = new TextDecoder('utf-8');
  /** Bytes of an incomplete last character, per `type runId`. */
  readonly #carried = new Map<string, Uint8Array>();

  /** The event of a binary frame, or null if the frame is not a well-formed output frame. */
  decode(frame: Uint8Array): BridgeEvent | null {
    const decoded = decodeOutputFrame(frame);
    if (!decoded) return null;
    const { header, bytes } = decoded;
    const key = `${header.type} ${header.data.runId}`;
    const carried = this.#carried.get(key);
    const whole = carried ? join(carried, bytes) : bytes;
    const cut = completeLength(whole);
    if (cut < whole.length) this.#carried.set(key, whole.slice(cut));
    else if (carried) this.#carried.delete(key);
    const chunk = this.#text.decode(whole.subarray(0, cut));
    return { ...header, data: { ...header.data, chunk } } as BridgeEvent;
  }

  /**
   * A JSON output event of the same run and stream (its end, which holds the bridge's rendering of
   * a last incomplete character): what is carried here is in it already.
   */
  sawJson(event: BridgeEvent): void {
    if (event.type !== 'system.command.stdout' && event.type !== 'system.command.stderr') return;
    this.#carried.delete(`${event.type} ${event.data.runId}`);
  }
}

function join(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a, 0);
  joined.set(b, a.length);
  return joined;
}

/** Bytes up to the start of an incomplete last character (all of them if it is complete). */
export function completeLength(bytes: Uint8Array): number {
  // A character is at most 4 bytes: its lead byte is within the last 4.
  for (let i = bytes.length - 1; i >= 0 && i >= bytes.length - 4; i--) {
    const byte = bytes[i]!;
    if ((byte & 0xc0) === 0x80) continue;
    const needed = byte >= 0xf5 ? 1 : byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc2 ? 2 : 1;
    return i + needed > bytes.length ? i : bytes.length;
  }
  return bytes.length;
}
