import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidSubject } from '../../src/bus/errors.js';
import {
  SubjectIndex,
  subjectMatches,
  validatePublishSubject,
  validateQueueName,
  validateSubscriptionSubject,
} from '../../src/bus/subject-match.js';

describe('subject validation', () => {
  it.each([
    // subject, valid to publish, valid to subscribe
    ['a', true, true],
    ['osloop.b1.rpc.session-create', true, true],
    ['a*b.c>d', true, true], // wildcards only count as whole tokens
    ['a.*', false, true],
    ['*', false, true],
    ['a.>', false, true],
    ['>', false, true],
    ['*.*.>', false, true],
    ['a.>.b', false, false],
    ['>.a', false, false],
    ['', false, false],
    ['.', false, false],
    ['a.', false, false],
    ['.a', false, false],
    ['a..b', false, false],
    ['a b', false, false],
    ['a\tb', false, false],
    ['a\nb', false, false],
    ['a.\u00a0', false, false],
  ])('%j: publish %s, subscribe %s', (subject, publishable, subscribable) => {
    const check = (validate: (s: string) => void): boolean => {
      try {
        validate(subject);
        return true;
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidSubject);
        expect((error as InvalidSubject).subject).toBe(subject);
        expect((error as Error).message).toContain(JSON.stringify(subject));
        return false;
      }
    };
    expect(check(validatePublishSubject)).toBe(publishable);
    expect(check(validateSubscriptionSubject)).toBe(subscribable);
  });

  it.each(['', 'a b', ' '])('rejects queue group name %j, naming the subject', (queue) => {
    expect(() => validateQueueName('jobs', queue)).toThrow(/"jobs".*queue group/);
  });
});

describe('subjectMatches', () => {
  it.each([
    ['a.b', 'a.b', true],
    ['a.b', 'a.c', false],
    ['a.b', 'a.b.c', false],
    ['a.b', 'a', false],
    ['a.*', 'a.b', true],
    ['a.*', 'a', false],
    ['a.*', 'a.b.c', false],
    ['*.b', 'a.b', true],
    ['*.*', 'a.b', true],
    ['*', 'a', true],
    ['*', 'a.b', false],
    ['a.*.c', 'a.b.c', true],
    ['a.*.c', 'a.b.d', false],
    ['a.>', 'a.b', true],
    ['a.>', 'a.b.c.d', true],
    ['a.>', 'a', false],
    ['>', 'a', true],
    ['>', 'a.b.c', true],
    ['*.>', 'a', false],
    ['*.>', 'a.b', true],
    ['a*b', 'a*b', true],
    ['a*b', 'axb', false],
  ])('%s matches %s: %s', (pattern, subject, expected) => {
    expect(subjectMatches(pattern, subject)).toBe(expected);
  });
});

describe('SubjectIndex', () => {
  it('returns matches in insertion order, whichever trie branch they come from', () => {
    const index = new SubjectIndex<string>();
    index.add('a.>', 'first');
    index.add('a.b', 'second');
    index.add('*.b', 'third');
    index.add('a.*', 'fourth');
    index.add('a.c', 'unrelated');
    expect(index.match('a.b')).toEqual(['first', 'second', 'third', 'fourth']);
  });

  it('holds the same value twice under one pattern, and removes one at a time', () => {
    const index = new SubjectIndex<string>();
    index.add('a', 'v');
    index.add('a', 'v');
    expect(index.match('a')).toEqual(['v', 'v']);
    expect(index.remove('a', 'v')).toBe(true);
    expect(index.match('a')).toEqual(['v']);
    expect(index.size).toBe(1);
  });

  it('sees additions and removals made after a cached lookup', () => {
    const index = new SubjectIndex<string>();
    expect(index.match('a.b')).toEqual([]);
    index.add('a.*', 'x');
    expect(index.match('a.b')).toEqual(['x']);
    expect(index.remove('a.*', 'x')).toBe(true);
    expect(index.match('a.b')).toEqual([]);
    expect(index.remove('a.*', 'x')).toBe(false);
    expect(index.remove('never.added', 'x')).toBe(false);
  });

  it('stays correct when the cache overflows', () => {
    const index = new SubjectIndex<string>({ cacheLimit: 2 });
    index.add('run.*', 'r');
    for (let i = 0; i < 10; i++) expect(index.match(`run.${i}`)).toEqual(['r']);
    expect(index.match('run.0')).toEqual(['r']);
  });

  it('validates what it stores and what it looks up', () => {
    const index = new SubjectIndex<string>();
    expect(() => index.add('a.>.b', 'x')).toThrow(InvalidSubject);
    expect(() => index.match('a.*')).toThrow(InvalidSubject);
  });

  it('agrees with subjectMatches for any set of patterns and subjects', () => {
    const token = fc.constantFrom('a', 'b', 'c');
    const subject = fc.array(token, { minLength: 1, maxLength: 4 }).map((t) => t.join('.'));
    const pattern = fc
      .tuple(fc.array(fc.constantFrom('a', 'b', '*'), { minLength: 0, maxLength: 3 }), fc.constantFrom('a', 'c', '*', '>'))
      .map(([head, last]) => [...head, last].join('.'));
    fc.assert(
      fc.property(fc.array(pattern, { maxLength: 8 }), fc.array(subject, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(7)), (patterns, subjects, removals) => {
        const index = new SubjectIndex<number>();
        const live = new Map(patterns.map((p, i) => [i, p]));
        patterns.forEach((p, i) => index.add(p, i));
        for (const subject of subjects) index.match(subject); // warm the cache before removing
        for (const r of removals) {
          if (!live.has(r)) continue;
          index.remove(live.get(r)!, r);
          live.delete(r);
        }
        for (const subject of subjects) {
          const expected = [...live].filter(([, p]) => subjectMatches(p, subject)).map(([i]) => i);
          expect(index.match(subject)).toEqual(expected);
        }
      }),
    );
  });
});
