import { execa } from 'execa';
import { createHook } from 'node:async_hooks';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPILED_BIN, ensureCompiled } from '../support/compiled-bin.js';

// src/cli/tick-object-maps.ts, in a Node of its own: ticks of several shapes, with full garbage
// collections between turns of the loop (as a busy bridge has them), then V8's own account of
// `process.nextTick`'s inline caches (`%DebugPrint`, --allow-natives-syntax).
const MODULE = pathToFileURL(path.join(path.dirname(COMPILED_BIN), '../dist/src/cli/tick-object-maps.js')).href;
const SCRIPT = `
const keep = process.argv.includes('--keep');
if (keep) {
  const { keepTickObjectMapsAlive } = await import(${JSON.stringify(MODULE)});
  if (!(await keepTickObjectMapsAlive())) throw new Error('no tick object kept');
}
function noop() {}
for (let round = 0; round < 40; round++) {
  for (let i = 0; i < 2000; i++) {
    process.nextTick(noop);
    process.nextTick(noop, i);
    process.nextTick(noop, i, i);
  }
  await new Promise((resolve) => setImmediate(resolve));
  gc();
}
%DebugPrint(process.nextTick);
`;

let dir: string;
beforeAll(async () => {
  await ensureCompiled();
  dir = await mkdtemp(path.join(os.tmpdir(), 'osloop-ticks-'));
  await writeFile(path.join(dir, 'ticks.mjs'), SCRIPT);
}, 240_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The inline caches of nextTick's tick-object literal, by state, as V8 prints them. */
async function literalCacheStates(args: string[]): Promise<string[]> {
  const { stdout } = await execa(process.execPath, ['--allow-natives-syntax', '--expose-gc', path.join(dir, 'ticks.mjs'), ...args]);
  return [...stdout.matchAll(/DefineKeyedOwnPropertyInLiteral (\w+)/g)].map((match) => match[1]!);
}

describe('the tick object kept alive', () => {
  it('keeps nextTick\'s tick-object caches monomorphic through full collections, which without it turn them megamorphic', async () => {
    const without = await literalCacheStates([]);
    expect(without).toContain('MEGAMORPHIC');
    const kept = await literalCacheStates(['--keep']);
    expect(kept.length).toBeGreaterThanOrEqual(4);
    expect(kept).toEqual(kept.map(() => 'MONOMORPHIC'));
  }, 60_000);

  it('catches a tick object in this Node too, and when asked again keeps the one it has', async () => {
    const { keepTickObjectMapsAlive } = await import('../../src/cli/tick-object-maps.js');
    expect(await keepTickObjectMapsAlive()).toBe(true);
    let ticksSeen = 0;
    const hook = createHook({ init: (_id, type) => void (type === 'TickObject' && ticksSeen++) }).enable();
    try {
      expect(await keepTickObjectMapsAlive()).toBe(true);
    } finally {
      hook.disable();
    }
    expect(ticksSeen).toBe(0);
  });
});
