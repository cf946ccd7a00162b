import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ROUTE_LIST } from '../../src/contract/routes/index.js';
import { isDirectionFree, serializerCompiler, validatorCompiler } from '../../src/http/zod-compilers.js';

const serializerFor = (schema: z.ZodType) =>
  serializerCompiler({ schema, method: 'GET', url: '/test', httpStatus: '200' } as Parameters<typeof serializerCompiler>[0]);

describe('reply serializer', () => {
  const schema = z.object({ id: z.string().min(3), count: z.number().int(), nested: z.object({ kind: z.enum(['a', 'b']) }) });

  it('checks the reply and drops what the schema does not declare', () => {
    const text = serializerFor(schema)({ id: 'abc', count: 2, nested: { kind: 'a', secret: 1 }, tokenHash: 'x' });
    expect(JSON.parse(text)).toEqual({ id: 'abc', count: 2, nested: { kind: 'a' } });
  });

  it('refuses a reply that breaks its schema', () => {
    expect(() => serializerFor(schema)({ id: 'ab', count: 2, nested: { kind: 'a' } })).toThrow(/Response doesn't match the schema/);
    expect(() => serializerFor(schema)({ id: 'abc', count: 1.5, nested: { kind: 'c' } })).toThrow();
  });

  it('still encodes schemas whose encoding differs from parsing', () => {
    const withDefault = z.object({ note: z.string().default('parsed') });
    expect(isDirectionFree(withDefault)).toBe(false);
    // Encoding does not apply defaults: a missing required value is refused, as before.
    expect(() => serializerFor(withDefault)({})).toThrow();
  });

  it.each([
    ['a transform', z.string().transform((s) => s.length)],
    ['a default', z.object({ a: z.number().default(1) })],
    ['a codec', z.codec(z.string(), z.number(), { decode: Number, encode: String })],
    ['a discriminated union with an optional tag', z.discriminatedUnion('kind', [z.object({ kind: z.literal('a').optional() }), z.object({ kind: z.literal('b') })])],
  ])('sees %s as direction-dependent', (_name, schema) => {
    expect(isDirectionFree(schema)).toBe(false);
  });

  it.each([
    ['an object of primitives', z.object({ a: z.string(), b: z.number().nullable(), c: z.array(z.boolean()).optional() })],
    ['a discriminated union with required tags', z.discriminatedUnion('kind', [z.object({ kind: z.literal('a') }), z.object({ kind: z.literal('b'), n: z.number() })])],
    ['a record of unions', z.record(z.string(), z.union([z.string(), z.number()]))],
  ])('sees %s as direction-free', (_name, schema) => {
    expect(isDirectionFree(schema)).toBe(true);
  });

  it('finds every contract reply direction-free, so none is checked by the slower encode', () => {
    // A request schema's default reused in a reply (a template's `args`) sent the runs list
    // through `safeEncode`, a fifth of its cost (docs/performance.md, round 14).
    expect(ROUTE_LIST.filter((route) => !isDirectionFree(route.reply)).map((route) => route.id)).toEqual([]);
  });

  it('gives the same verdict and value as encoding for every direction-free contract reply', () => {
    for (const route of ROUTE_LIST) {
      if (!isDirectionFree(route.reply)) continue;
      const serialize = serializerFor(route.reply);
      for (const sample of [{}, null, 'x', { extra: 1 }]) {
        const encoded = z.safeEncode(route.reply, sample);
        if (encoded.success) expect(serialize(sample), route.id).toBe(JSON.stringify(encoded.data));
        else expect(() => serialize(sample), route.id).toThrow();
      }
    }
  });
});

describe('request validator', () => {
  it('validates with the compiled schema and applies defaults', () => {
    const validate = validatorCompiler({ schema: z.object({ limit: z.coerce.number().int().default(5) }), method: 'GET', url: '/test', httpPart: 'querystring' });
    expect(validate({})).toEqual({ value: { limit: 5 } });
    expect(validate({ limit: '7' })).toEqual({ value: { limit: 7 } });
    expect(validate({ limit: 'x' })).toHaveProperty('error');
  });
});
