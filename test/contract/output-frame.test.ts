import { describe, expect, it } from 'vitest';
import { decodeOutputFrame, encodeOutputFrame, encodeOutputFrameHeader, type OutputFrameHeader } from '../../src/contract/output-frame.js';

const header = (bytes: number, extra: Record<string, unknown> = {}): OutputFrameHeader => ({
  seq: 42,
  type: 'system.command.stdout',
  ts: '2026-12-01T00:00:00.000Z',
  data: { runId: 'run_1', offset: 128, bytes },
  ...extra,
});

describe('binary output frame', () => {
  it('carries the envelope and the raw bytes, which are read back as they were', () => {
    const bytes = new Uint8Array([0x68, 0x69, 0x0a, 0x00, 0xff, 0xc3]);
    const frame = encodeOutputFrame(header(bytes.length), bytes);
    expect(frame[0]).toBe(1);
    expect(decodeOutputFrame(frame)).toEqual({ header: header(bytes.length), bytes });
  });

  it('is the header prefix followed by the bytes (how the bridge sends it, in two fragments)', () => {
    const bytes = new TextEncoder().encode('two fragments');
    const prefix = encodeOutputFrameHeader(header(bytes.length), bytes.length);
    expect(Buffer.concat([prefix, bytes])).toEqual(Buffer.from(encodeOutputFrame(header(bytes.length), bytes)));
  });

  it('keeps other envelope fields (the audience) in the header', () => {
    const bytes = new Uint8Array([1]);
    const withAudience = header(1, { audience: { kind: 'origin', origin: 'https://app' } });
    expect(decodeOutputFrame(encodeOutputFrame(withAudience, bytes))?.header).toEqual(withAudience);
  });

  it('refuses to encode a header whose byte count is not the payload\'s', () => {
    expect(() => encodeOutputFrame(header(3), new Uint8Array(2))).toThrow(RangeError);
  });

  const good = encodeOutputFrame(header(2), new Uint8Array([1, 2]));
  const withHeader = (json: string, payload: number[] = []) => {
    const text = new TextEncoder().encode(json);
    const frame = new Uint8Array(5 + text.length + payload.length);
    frame[0] = 1;
    new DataView(frame.buffer).setUint32(1, text.length);
    frame.set(text, 5);
    frame.set(payload, 5 + text.length);
    return frame;
  };
  it.each([
    ['empty', new Uint8Array()],
    ['shorter than its prefix', good.subarray(0, 4)],
    ['another kind', Uint8Array.of(2, ...good.subarray(1))],
    ['a header longer than the frame', good.subarray(0, good.length - 30)],
    ['a payload shorter than data.bytes', good.subarray(0, good.length - 1)],
    ['a header that is not JSON', withHeader('{"seq":')],
    ['a header that is not UTF-8', Uint8Array.of(1, 0, 0, 0, 2, 0xff, 0xfe)],
    ['a header of another event type', withHeader(JSON.stringify({ ...header(0), type: 'session.refreshed' }))],
    ['a header without a runId', withHeader(JSON.stringify({ ...header(0), data: { offset: 0, bytes: 0 } }))],
    ['a fractional offset', withHeader(JSON.stringify({ ...header(1), data: { runId: 'r', offset: 0.5, bytes: 1 } }), [1])],
  ])('reads %s as no output frame', (_name, frame) => {
    expect(decodeOutputFrame(frame)).toBeNull();
  });
});
