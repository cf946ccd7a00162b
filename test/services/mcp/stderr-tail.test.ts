import { describe, expect, it } from 'vitest';
import { StderrTail } from '../../../src/services/mcp/stderr-tail.js';

describe('a stderr tail', () => {
  it('joins lines split across chunks and shows the unfinished last line', () => {
    const tail = new StderrTail(10);
    tail.push('start');
    tail.push('ing\nrea');
    expect(tail.lines()).toEqual(['starting', 'rea']);
    tail.push('dy\r\n');
    expect(tail.lines()).toEqual(['starting', 'ready']);
  });

  it('keeps only the last lines', () => {
    const tail = new StderrTail(3);
    tail.push('1\n2\n3\n4\n5\n');
    expect(tail.lines()).toEqual(['3', '4', '5']);
    expect(tail.last(2)).toEqual(['4', '5']);
  });

  it('cuts an endless line instead of growing without bound', () => {
    const tail = new StderrTail(3);
    for (let i = 0; i < 1_000; i++) tail.push('x'.repeat(1_000));
    const [line] = tail.lines();
    expect(line!.length).toBeLessThanOrEqual(2_001);
  });
});
