import { describe, expect, it } from 'vitest';
import { OutputBuffer, utf8Boundary } from '../../../src/services/commands/output-buffer.js';
import { RunOutput, RunOutputs } from '../../../src/services/commands/run-outputs.js';

describe('output buffer', () => {
  it('keeps the first `limit` bytes, counts them all, and says the rest is partial', () => {
    const buffer = new OutputBuffer(8);
    buffer.append(Buffer.from('12345'));
    buffer.append(Buffer.from('67890'));
    buffer.append(Buffer.from('abc'));
    expect({ buffered: buffer.bufferedBytes, total: buffer.totalBytes, partial: buffer.partial }).toEqual({ buffered: 8, total: 13, partial: true });
    expect(buffer.slice(0, 100).data).toBe('12345678');
  });

  it('cuts at the limit before a character it would split, and appends nothing after the cut', () => {
    const buffer = new OutputBuffer(4);
    buffer.append(Buffer.from('ab\u20ac')); // 2 + 3 bytes: the euro does not fit
    buffer.append(Buffer.from('c'));
    expect(buffer.slice(0, 10)).toMatchObject({ data: 'ab', bufferedBytes: 2, totalBytes: 6 });
  });

  it.each([
    [0, 1, 'a', 1],
    [1, 1, '\u00e9', 3], // a page too small for the character still returns it whole
    [1, 2, '\u00e9', 3],
    [1, 3, '\u00e9b', 4],
    [3, 10, 'b', 4],
    [4, 10, '', 4],
  ])('pages from offset %i with limit %i without splitting a character', (offset, limit, data, nextOffset) => {
    const buffer = new OutputBuffer(1024);
    buffer.append(Buffer.from('a\u00e9b'));
    expect(buffer.slice(offset, limit)).toMatchObject({ data, nextOffset });
  });

  it('says a stream has ended only once it is closed and fully paged', () => {
    const buffer = new OutputBuffer(1024);
    buffer.append(Buffer.from('abcd'));
    expect(buffer.slice(0, 10).ended).toBe(false);
    buffer.end();
    expect(buffer.slice(0, 2).ended).toBe(false);
    expect(buffer.slice(2, 10).ended).toBe(true);
  });

  it('finds character boundaries, and does not walk far into binary data', () => {
    const bytes = Buffer.from('x\u20acy');
    expect([0, 1, 2, 3, 4, 5].map((at) => utf8Boundary(bytes, at))).toEqual([0, 1, 1, 1, 4, 5]);
    const binary = Buffer.alloc(10, 0x80);
    expect(utf8Boundary(binary, 8)).toBe(8);
  });
});

describe('run output', () => {
  it('streams each chunk at its byte offset, holding a split character for the next chunk', () => {
    const published: Array<{ stream: string; offset: number; bytes: number; chunk: string }> = [];
    const output = new RunOutput('run_1', 1024, (stream, data) => void published.push({ stream, ...data }));
    const e = Buffer.from('\u00e9');
    output.write('stdout', Buffer.from([0x61, e[0]!]));
    output.write('stdout', Buffer.from([e[1]!, 0x62]));
    // An unfinished character at the very end: its bytes are counted now, shown as U+FFFD at the end.
    output.write('stderr', Buffer.from([0xe2, 0x82]));
    output.end();
    expect(published).toEqual([
      { stream: 'stdout', runId: 'run_1', offset: 0, bytes: 2, chunk: 'a' },
      { stream: 'stdout', runId: 'run_1', offset: 2, bytes: 2, chunk: '\u00e9b' },
      { stream: 'stderr', runId: 'run_1', offset: 0, bytes: 2, chunk: '' },
      { stream: 'stderr', runId: 'run_1', offset: 2, bytes: 0, chunk: '\ufffd' },
    ]);
    expect(output.totals()).toEqual({ stdoutBytes: 4, stderrBytes: 2, partialOutput: false });
  });
});

describe('retained output of finished runs', () => {
  it('keeps only the bytes a finished stream holds, not its spare capacity', () => {
    const buffer = new OutputBuffer(1024 * 1024);
    buffer.append(Buffer.from('hello\n'));
    buffer.append(Buffer.from('x'));
    expect(buffer.capacityBytes).toBe(12);
    buffer.end();
    expect(buffer.capacityBytes).toBe(7);
    expect(buffer.slice(0, 100)).toMatchObject({ data: 'hello\nx', ended: true });
  });

  it('grows to the first chunk exactly, then by doubling, never past its limit', () => {
    const buffer = new OutputBuffer(10_000);
    const sizes: number[] = [];
    for (let i = 0; i < 12; i++) {
      buffer.append(Buffer.alloc(1000, 0x61));
      sizes.push(buffer.capacityBytes);
    }
    expect(sizes).toEqual([1000, 2000, 4000, 4000, 8000, 8000, 8000, 8000, 10_000, 10_000, 10_000, 10_000]);
    expect(buffer.slice(0, 20_000)).toMatchObject({ bufferedBytes: 10_000, totalBytes: 12_000, data: 'a'.repeat(10_000) });
  });

  it('evicts the oldest finished runs once their memory passes the budget, even runs that printed nothing', () => {
    const bus = { publish: () => {} } as unknown as ConstructorParameters<typeof RunOutputs>[0]['bus'];
    const subjects = { event: (type: string) => type } as unknown as ConstructorParameters<typeof RunOutputs>[0]['subjects'];
    const outputs = new RunOutputs({ bus, subjects, bufferBytes: () => 1024 * 1024, retainedBytes: () => 16 * 1024 });
    for (let i = 0; i < 100; i++) {
      const output = outputs.open(`run_${i}`);
      if (i % 2 === 0) output.write('stdout', Buffer.from(`line ${i}\n`));
      output.end();
      outputs.finish(`run_${i}`);
    }
    const kept = Array.from({ length: 100 }, (_, i) => i).filter((i) => outputs.get(`run_${i}`));
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThanOrEqual(8);
    expect(kept.at(-1)).toBe(99);
  });
});
