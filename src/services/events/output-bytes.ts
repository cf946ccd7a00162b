/**
 * The raw bytes of an output event, kept beside its data object rather than in it: events are
 * plain JSON values (the ring, the fleet link and JSON sockets see only `chunk`), while a socket
 * that asked for binary output frames sends these bytes as printed. Keyed by the data object, which
 * the in-process bus hands to every subscriber unchanged; a copy of the data (from another bridge,
 * say) has no bytes and is sent as JSON.
 */
const bytesByData = new WeakMap<object, Uint8Array>();

export function attachOutputBytes<T extends object>(data: T, bytes: Uint8Array): T {
  bytesByData.set(data, bytes);
  return data;
}

export function outputBytesOf(data: unknown): Uint8Array | undefined {
  return typeof data === 'object' && data !== null ? bytesByData.get(data) : undefined;
}
