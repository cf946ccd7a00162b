import { StringDecoder } from 'node:string_decoder';
import { describe, expect, it } from 'vitest';
import { completeLength, OutputChunkDecoder } from '../../src/client/output-chunks.js';
import { encodeOutputFrame } from '../../src/contract/output-frame.js';

/** The frames of one run's stdout cut at the given byte positions, as the bridge sends them. */
function framesOf(text: string, cuts: number[], runId = 'run_1', type: 'system.command.stdout' | 'system.command.stderr' = 'system.command.stdout') {
  const bytes = Buffer.from(text, 'utf8');
  const bounds = [0, ...cuts, bytes.length];
  return bounds.slice(1).map((end, i) => {
    const start = bounds[i]!;
    return encodeOutputFrame({ seq: i + 1, type, ts: 'now', data: { runId, offset: start, bytes: end - start } }, bytes.subarray(start, end));
  });
}

/** What the bridge puts in `chunk` for the same cuts (a StringDecoder per stream). */
function bridgeChunks(text: string, cuts: number[]): string[] {
  const bytes = Buffer.from(text, 'utf8');
  const decoder = new StringDecoder('utf8');
  const bounds = [0, ...cuts, bytes.length];
  return bounds.slice(1).map((end, i) => decoder.write(bytes.subarray(bounds[i], end)));
}

describe('output chunk decoder', () => {
  const text = 'a\u00e9b\u20ac\u{1f600}z'; // 1, 2, 1, 3, 4, 1 bytes
  it.each([
    ['no cut', []],
    ['between characters', [1, 3]],
    ['inside a 2-byte character', [2]],
    ['inside a 3-byte character, twice', [5, 6]],
    ['inside a 4-byte character, at each byte', [8, 9, 10]],
    ['every byte', Array.from({ length: 11 }, (_, i) => i + 1)],
  ])('gives each chunk the text the bridge gives it in JSON, cut %s', (_name, cuts) => {
    const decoder = new OutputChunkDecoder();
    const events = framesOf(text, cuts).map((frame) => decoder.decode(frame));
    expect(events.map((e) => e?.type === 'system.command.stdout' && e.data.chunk)).toEqual(bridgeChunks(text, cuts));
    expect(events.map((e) => e?.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.map((e) => e?.type === 'system.command.stdout' && e.data.offset)).toEqual([0, ...cuts]);
  });

  it('carries per run and stream: another run\'s chunk in between does not take the half character', () => {
    const decoder = new OutputChunkDecoder();
    const [first, second] = framesOf('\u00e9', [1], 'run_a');
    const chunkOf = (frame: Uint8Array) => {
      const event = decoder.decode(frame);
      return event && 'chunk' in event.data ? event.data.chunk : null;
    };
    expect(chunkOf(first!)).toBe('');
    expect(chunkOf(framesOf('x', [], 'run_b')[0]!)).toBe('x');
    expect(chunkOf(framesOf('y', [], 'run_a', 'system.command.stderr')[0]!)).toBe('y');
    expect(chunkOf(second!)).toBe('\u00e9');
  });

  it('drops what it carried when the run\'s end event (JSON) renders the incomplete character', () => {
    const decoder = new OutputChunkDecoder();
    const [first] = framesOf('\u00e9', [1]);
    decoder.decode(first!);
    decoder.sawJson({ seq: 2, type: 'system.command.stdout', ts: 'now', data: { runId: 'run_1', offset: 1, bytes: 0, chunk: '\ufffd' } });
    const next = decoder.decode(framesOf('k', [])[0]!);
    expect(next && 'chunk' in next.data && next.data.chunk).toBe('k');
  });

  it('reads a frame that is not an output frame as nothing', () => {
    expect(new OutputChunkDecoder().decode(Uint8Array.of(9, 0, 0, 0, 0))).toBeNull();
  });

  it.each([
    [[], 0],
    [[0x61], 1],
    [[0x61, 0xc3], 1],
    [[0xc3, 0xa9], 2],
    [[0xe2, 0x82], 0],
    [[0xf0, 0x9f, 0x98], 0],
    [[0xf0, 0x9f, 0x98, 0x80], 4],
    [[0x80, 0x80, 0x80, 0x80], 4],
    [[0xff], 1],
  ])('counts the complete characters of %j: %i bytes', (bytes, expected) => {
    expect(completeLength(Uint8Array.from(bytes))).toBe(expected);
  });
});
