import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { tieringFlagFor } from '../../src/cli/v8-tiering.js';

describe('the V8 tiering a serving bridge sets', () => {
  it('lowers the interrupt budget on V8 11 (Node 20), where it was measured, and on no other V8', () => {
    expect(tieringFlagFor('11.3.244.8-node.33')).toBe('--interrupt-budget=4096');
    expect(tieringFlagFor('12.4.254.21-node.33')).toBeUndefined();
    expect(tieringFlagFor('13.6.233.10-node.24')).toBeUndefined();
    expect(tieringFlagFor('10.2.154.26-node.26')).toBeUndefined();
  });

  it('names only a flag this Node\'s V8 knows (setting an unknown one prints an error)', async () => {
    const { stdout } = await execa(process.execPath, ['--v8-options']);
    const flag = tieringFlagFor(process.versions.v8);
    // Node 24's V8 lists no interrupt budget, and gets no flag.
    if (!/^\s+--interrupt-budget\s/m.test(stdout)) expect(flag).toBeUndefined();
    if (flag) {
      expect(stdout).toContain(`  ${flag.split('=')[0]} `);
      // Set at run time as the bridge does: V8 reports an unknown or malformed flag on stderr, without throwing.
      const run = await execa(process.execPath, ['-e', `require('node:v8').setFlagsFromString(${JSON.stringify(flag)})`]);
      expect(run.stderr).toBe('');
    }
  });
});
