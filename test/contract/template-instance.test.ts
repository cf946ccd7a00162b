import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_PLACEHOLDERS_PER_FIELD,
  commandMismatches,
  httpMismatches,
  isTemplateInstance,
  templateParts,
} from '../../src/contract/template-instance.js';

const P = (id: string) => `__OSL_SECRET[${id}]__`;

/** The reference: the template as an anchored regular expression, each span `[^\0]*`. */
function referenceInstance(template: string, resolved: string): boolean {
  const parts = templateParts(template);
  if (!parts) return false;
  if (parts.placeholders === 0) return template === resolved;
  if (template.includes('\0') || resolved.includes('\0')) return false;
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // Two spans side by side are one span: dropping empty middle literals keeps the regex from
  // backtracking exponentially without changing what it accepts.
  const literals = parts.literals.filter((literal, i) => literal !== '' || i === 0 || i === parts.literals.length - 1);
  return new RegExp(`^${literals.map(escape).join('[^\\0]*')}$`).test(resolved);
}

describe('isTemplateInstance', () => {
  it.each([
    ['echo hello', 'echo hello', true],
    ['echo hello', 'sh', false],
    [P('a'), 'anything at all', true],
    [P('a'), '', true],
    [`--token=${P('a')}`, '--token=s3cret', true],
    [`--token=${P('a')}`, '--tokem=s3cret', false],
    [`pre${P('a')}mid${P('b')}post`, 'preXmidYpost', true],
    [`pre${P('a')}mid${P('b')}post`, 'premidpost', true],
    [`pre${P('a')}mid${P('b')}post`, 'preXpost', false],
    [`${P('a')}${P('b')}`, 'whatever', true],
    [`a${P('x')}a`, 'a', false],
    [`a${P('x')}a`, 'aa', true],
    [`${P('a')}-x`, 'nul\0-x', false],
    ['__OSL_SECRET[]__', 'other', false],
    ['__OSL_SECRET[has space]__', 'other', false],
    ['__OSL_SECRET[has space]__', '__OSL_SECRET[has space]__', true],
  ])('%j against %j is %s', (template, resolved, expected) => {
    expect(isTemplateInstance(template, resolved)).toBe(expected);
  });

  it('refuses a field with more placeholders than the cap', () => {
    const many = Array.from({ length: MAX_PLACEHOLDERS_PER_FIELD + 1 }, (_, i) => P(`p${i}`)).join('');
    expect(isTemplateInstance(many, 'x')).toBe(false);
    expect(isTemplateInstance(many.slice(0, -P(`p${MAX_PLACEHOLDERS_PER_FIELD}`).length), 'x')).toBe(true);
  });

  it('stays linear on inputs that make a backtracking matcher explode', () => {
    const template = Array.from({ length: MAX_PLACEHOLDERS_PER_FIELD }, () => P('a')).join('a') + 'b';
    const resolved = 'a'.repeat(200_000);
    // A regex `^(.*a){31}.*b$` never finishes on this; the scan answers at once.
    expect(isTemplateInstance(template, resolved)).toBe(false);
    expect(isTemplateInstance(template, `${resolved}b`)).toBe(true);
  });

  it('agrees with a regular-expression reference on random templates and values', () => {
    const piece = fc.oneof(
      fc.constantFrom('a', 'b', 'ab', '_', '[', ']', '__OSL_SECRET[', ']__', '\0', ''),
      fc.constantFrom(P('x'), P('y-1'), P('z.q:r')),
    );
    const template = fc.array(piece, { maxLength: 8 }).map((parts) => parts.join(''));
    const filler = fc.array(fc.constantFrom('a', 'b', '_', '[', ']', '\0', 'c'), { maxLength: 6 }).map((c) => c.join(''));
    // Resolved values built from the template (often instances) and free-form ones (often not).
    const fromTemplate = template.chain((t) => fc.tuple(fc.constant(t), fc.array(filler, { minLength: 40, maxLength: 40 })).map(([tpl, fills]) => {
      let i = 0;
      return [tpl, tpl.replace(/__OSL_SECRET\[[A-Za-z0-9_.:-]+\]__/g, () => fills[i++ % fills.length]!)] as const;
    }));
    const freeForm = fc.tuple(template, fc.array(piece, { maxLength: 8 }).map((parts) => parts.join('')));
    fc.assert(
      fc.property(fc.oneof(fromTemplate, freeForm), ([t, r]) => {
        expect(isTemplateInstance(t, r)).toBe(referenceInstance(t, r));
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('commandMismatches', () => {
  const template = { command: 'echo', args: ['hello'] };

  it('refuses a lying template: another command under the template `echo hello`', () => {
    const mismatches = commandMismatches({ command: 'sh', args: ['-c', 'touch /tmp/x'] }, template);
    expect(mismatches.map((m) => m.path)).toEqual([['command'], ['args']]);
  });

  it('refuses an argument, a variable, a cwd or stdin that differs outside a placeholder', () => {
    const t = { command: 'node', args: ['-e', '1'], cwd: '/repo', env: { A: P('a') }, stdin: 'echo hello' };
    expect(commandMismatches({ ...t, args: ['-e', '2'] }, t).map((m) => m.path)).toEqual([['args', 1]]);
    expect(commandMismatches({ ...t, env: { A: 'x', NODE_OPTIONS: '--require /tmp/x' } }, t).map((m) => m.path)).toEqual([['env']]);
    expect(commandMismatches({ ...t, cwd: '/elsewhere' }, t).map((m) => m.path)).toEqual([['cwd']]);
    expect(commandMismatches({ ...t, stdin: 'touch /tmp/x' }, t).map((m) => m.path)).toEqual([['stdin']]);
    expect(commandMismatches({ ...t, env: { A: 'secret value' } }, t)).toEqual([]);
  });

  it('never quotes a value in its messages', () => {
    const mismatches = commandMismatches({ command: 'tool', args: ['s3cret-value'], env: { T: 'other-s3cret' } }, { command: 'tool', args: ['--x'], env: { T: 'lit' } });
    expect(mismatches).toHaveLength(2);
    for (const m of mismatches) expect(m.message).not.toMatch(/s3cret|--x|lit\b/);
  });
});

describe('httpMismatches', () => {
  it('checks the URL and each header value, with the same header names', () => {
    const template = { url: `https://${P('host')}/mcp`, headers: { authorization: `Bearer ${P('t')}` } };
    expect(httpMismatches({ url: 'https://api.example/mcp', headers: { authorization: 'Bearer abc' } }, template)).toEqual([]);
    expect(httpMismatches({ url: 'https://api.example/other', headers: { authorization: 'Bearer abc' } }, template).map((m) => m.path)).toEqual([['url']]);
    expect(httpMismatches({ url: 'https://a/mcp', headers: { authorization: 'Bearer abc', cookie: 'x' } }, template).map((m) => m.path)).toEqual([['headers']]);
  });
});
