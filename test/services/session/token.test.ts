import { describe, expect, it } from 'vitest';
import { newId } from '../../../src/services/session/token.js';

describe('newId', () => {
  it('gives 96 random bits in hex after the prefix, never the same id twice across many pool refills', () => {
    // 256 ids per pool: 3,000 ids draw from a dozen pools, so a reused or unrefilled pool shows.
    const ids = Array.from({ length: 3_000 }, () => newId('run'));
    expect(ids.every((id) => /^run_[0-9a-f]{24}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
