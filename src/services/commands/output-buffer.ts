/** A page of buffered output, as `GET …/runs/:runId` returns it per stream. */
export interface OutputSlice {
  offset: number;
  data: string;
  nextOffset: number;
  bufferedBytes: number;
  totalBytes: number;
  ended: boolean;
}

/**
 * The first `limit` bytes of one output stream, and how many bytes it produced in all. Memory
 * stays bounded by `limit`; past it the stream is `partial` and only events carry the rest.
 */
export class OutputBuffer {
  readonly limit: number;
  #bytes: Buffer = Buffer.alloc(0);
  #buffered = 0;
  #total = 0;
  #ended = false;

  constructor(limit: number) {
    this.limit = limit;
  }

  get bufferedBytes(): number {
    return this.#buffered;
  }

  get totalBytes(): number {
    return this.#total;
  }

  /** Some of the stream is not in the buffer. */
  get partial(): boolean {
    return this.#total > this.#buffered;
  }

  append(chunk: Buffer): void {
    this.#total += chunk.length;
    if (this.#buffered >= this.limit || this.#total - chunk.length > this.#buffered) return;
    const room = this.limit - this.#buffered;
    // Cut at a character boundary, so the buffered text never ends in half a character.
    const take = chunk.length <= room ? chunk.length : utf8Boundary(chunk, room);
    this.#ensureCapacity(this.#buffered + take);
    chunk.copy(this.#bytes, this.#buffered, 0, take);
    this.#buffered += take;
  }

  end(): void {
    this.#ended = true;
    // A finished stream keeps what it holds, not its spare capacity: doubling may have left up to
    // half of it unused, which the retained-output budget (it counts buffered bytes) never sees.
    // (Buffer.alloc, not Buffer.from: a small copy from the shared pool would pin an 8 KiB slab.)
    if (this.#bytes.length > this.#buffered) {
      const exact = Buffer.alloc(this.#buffered);
      this.#bytes.copy(exact, 0, 0, this.#buffered);
      this.#bytes = exact;
    }
  }

  /** Bytes of memory this buffer holds (its capacity, at least what it buffered). */
  get capacityBytes(): number {
    return this.#bytes.length;
  }

  /** Up to `limit` bytes from `offset`, ending on a character boundary (but never empty if bytes remain). */
  slice(offset: number, limit: number): OutputSlice {
    const start = Math.min(offset, this.#buffered);
    let end = Math.min(start + limit, this.#buffered);
    if (end < this.#buffered) end = utf8Boundary(this.#bytes.subarray(0, this.#buffered), end);
    if (end <= start && start < this.#buffered) end = nextBoundary(this.#bytes, start, this.#buffered);
    return {
      offset: start,
      data: this.#bytes.toString('utf8', start, end),
      nextOffset: end,
      bufferedBytes: this.#buffered,
      totalBytes: this.#total,
      ended: this.#ended && end >= this.#buffered,
    };
  }

  /**
   * Grows to exactly what the first chunk needs, then by doubling (so a long stream is copied
   * O(n) bytes in all). Why not a first 64 KiB, as before: most runs print a line or two, and a
   * zero-filled 64 KiB per stream per run, freed at its end, was tens of MB a second of external
   * memory for V8's collector to account for under load (docs/performance.md, round 12).
   */
  #ensureCapacity(needed: number): void {
    if (needed <= this.#bytes.length) return;
    const capacity = Math.min(this.limit, Math.max(needed, this.#bytes.length * 2));
    const grown = Buffer.alloc(capacity);
    this.#bytes.copy(grown, 0, 0, this.#buffered);
    this.#bytes = grown;
  }
}

/**
 * The largest cut ≤ `at` that does not split a UTF-8 character: steps back over continuation
 * bytes (at most three, so that binary output cannot make it walk far).
 */
export function utf8Boundary(bytes: Buffer, at: number): number {
  if (at >= bytes.length) return bytes.length;
  let cut = at;
  while (cut > 0 && at - cut < 3 && isContinuation(bytes[cut]!)) cut--;
  return isContinuation(bytes[cut]!) ? at : cut;
}

/** The first character boundary after `from` (for pages too small to hold one character). */
function nextBoundary(bytes: Buffer, from: number, end: number): number {
  let cut = from + 1;
  while (cut < end && cut - from < 4 && isContinuation(bytes[cut]!)) cut++;
  return cut;
}

const isContinuation = (byte: number) => (byte & 0xc0) === 0x80;
