import { describe, expect, it } from 'vitest';
import { redactContext } from '../../src/runtime/redact.js';

describe('redactContext', () => {
  it('hides tokens, resolved values, env, stdin and output, keeping the rest', () => {
    const summary = redactContext({
      runId: 'run_1',
      tokenHash: 'abc',
      resolved: { command: 'echo', args: ['M4RK3R'] },
      template: { command: 'echo', args: ['__OSL_SECRET[x]__'] },
      env: { API_KEY: 'M4RK3R' },
      stdin: 'M4RK3R',
      stdout: 'M4RK3R',
    });
    expect(JSON.stringify(summary)).not.toContain('M4RK3R');
    expect(summary).toMatchObject({ runId: 'run_1', tokenHash: '[hidden]', template: { command: 'echo', args: ['__OSL_SECRET[x]__'] } });
  });

  it('cuts long strings and arrays and stops at a depth', () => {
    const summary = redactContext({ long: 'x'.repeat(1_000), many: Array.from({ length: 50 }, (_, i) => i), deep: { a: { b: { c: { d: { e: 1 } } } } } });
    expect((summary.long as string).length).toBeLessThan(300);
    expect(summary.many as unknown[]).toHaveLength(21);
    expect(JSON.stringify(summary.deep)).toContain('[…]');
  });
});
