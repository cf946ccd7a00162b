import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { visibleText } from '../../src/contract/visible-text.js';
// @ts-expect-error -- the UI's plain ES module has no type declarations
import { visible } from '../../ui/resources/js/format.js';

const draw = visible as (text: string) => string;

describe('the page and the bridge draw agent text alike', () => {
  it.each([
    ['bidi override and isolates', 'a\u202eb\u2066c\u2069', 'a⟪U+202E⟫b⟪U+2066⟫c⟪U+2069⟫'],
    ['zero-width space, joiner and BOM', 'x\u200by\u200dz\ufeff', 'x⟪U+200B⟫y⟪U+200D⟫z⟪U+FEFF⟫'],
    ['line and paragraph separators', 'a\u2028b\u2029c', 'a⟪U+2028⟫b⟪U+2029⟫c'],
    ['C0 controls and DEL', 'a\nb\u001b\u007f', 'a␊b␛␡'],
    ['a no-break space and a Hangul filler', 'a\u00a0b\u3164', 'a⟪U+00A0⟫b⟪U+3164⟫'],
    ['ordinary text, accents and emoji', 'café 🎉 ok', 'café 🎉 ok'],
  ])('escapes %s', (_, input, expected) => {
    expect(draw(input)).toBe(expected);
    expect(visibleText(input).text).toBe(expected);
  });

  it('agrees with src/contract/visible-text.ts on any text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (text) => draw(text) === visibleText(text).text), { numRuns: 3_000 });
  });
});
