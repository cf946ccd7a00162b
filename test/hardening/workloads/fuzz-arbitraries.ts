import fc from 'fast-check';
import { z } from 'zod';

/**
 * fast-check arbitraries derived from the contract's zod schemas, through `z.toJSONSchema()`:
 * no maintained library derives arbitraries from zod 4 schemas (zod-fast-check stops at zod 3
 * and fast-check 3), and the JSON Schema of a route is small and generic. Plus the hostile values
 * the fuzzer mixes into them.
 */

type JsonSchema = Record<string, unknown>;

/** A closed port on loopback: a URL the bridge might connect to must lead nowhere. */
export const DEAD_URL = 'http://127.0.0.1:9/mcp';

/** The input JSON Schema of a zod schema; what zod cannot express (preprocess, refine) is `{}`. */
export function inputJsonSchema(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
}

const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

/**
 * Values the schema accepts, or nearly: refinements zod cannot express are not honoured. Free-form
 * strings sometimes come from `dictionary` (paths inside and around the file targets…).
 */
export function arbitraryFromSchema(schema: JsonSchema, dictionary: readonly string[] = [], depth = 0): fc.Arbitrary<unknown> {
  const sub = (child: JsonSchema, nextDepth = depth + 1) => arbitraryFromSchema(child, dictionary, nextDepth);
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  const union = (schema.oneOf ?? schema.anyOf) as JsonSchema[] | undefined;
  if (union) return fc.oneof(...union.map((member) => sub(member)));
  if (Array.isArray(schema.allOf)) return sub(Object.assign({}, ...(schema.allOf as JsonSchema[])), depth);
  const type = Array.isArray(schema.type) ? (schema.type[0] as string) : (schema.type as string | undefined);
  switch (type) {
    case 'object':
      return objectArbitrary(schema, sub);
    case 'array': {
      const minLength = num(schema.minItems) ?? 0;
      const maxLength = Math.min(num(schema.maxItems) ?? minLength + 4, minLength + 4);
      return fc.array(sub((schema.items as JsonSchema | undefined) ?? {}), { minLength, maxLength });
    }
    case 'string':
      return stringArbitrary(schema, dictionary);
    case 'integer':
      return integerArbitrary(schema);
    case 'number': {
      const min = num(schema.minimum) ?? num(schema.exclusiveMinimum) ?? -1e9;
      const max = num(schema.maximum) ?? num(schema.exclusiveMaximum) ?? 1e9;
      return fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
    }
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    default:
      return depth > 3 ? fc.string({ maxLength: 8 }) : fc.jsonValue({ maxDepth: 2 });
  }
}

function objectArbitrary(schema: JsonSchema, sub: (child: JsonSchema) => fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  const fields = Object.fromEntries(Object.entries(properties).map(([key, child]) => [key, sub(child)]));
  const record = fc.record(fields, { requiredKeys: Object.keys(fields).filter((key) => required.has(key)) });
  const extra = schema.additionalProperties;
  if (!extra || typeof extra !== 'object') return record;
  const keys = schema.propertyNames ? (stringArbitrary(schema.propertyNames as JsonSchema) as fc.Arbitrary<string>) : fc.string({ minLength: 1, maxLength: 12 });
  const more = fc.dictionary(keys, sub(extra as JsonSchema), { maxKeys: 4 });
  return fc.tuple(record, more).map(([known, extraFields]) => ({ ...extraFields, ...(known as object) }));
}

function stringArbitrary(schema: JsonSchema, dictionary: readonly string[] = []): fc.Arbitrary<string> {
  const minLength = num(schema.minLength) ?? 0;
  const maxLength = Math.min(num(schema.maxLength) ?? minLength + 24, minLength + 24);
  const fits = (s: string) => s.length >= minLength && s.length <= (num(schema.maxLength) ?? Infinity);
  if (schema.format === 'uri' || schema.format === 'url') return fc.webPath().map((p) => `${DEAD_URL}${p}`);
  if (schema.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
  if (typeof schema.pattern === 'string') {
    return fc.stringMatching(new RegExp(schema.pattern as string), { size: 'small' }).filter(fits);
  }
  const words = dictionary.filter(fits);
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ minLength, maxLength, unit: fc.constantFrom(...'abcdefgh -_./0123') }) },
    { weight: 1, arbitrary: fc.string({ minLength, maxLength, unit: 'grapheme' }) },
    ...(words.length > 0 ? [{ weight: 2, arbitrary: fc.constantFrom(...words) }] : []),
  );
}

function integerArbitrary(schema: JsonSchema): fc.Arbitrary<number> {
  const exclusive = num(schema.exclusiveMinimum);
  const min = Math.max(num(schema.minimum) ?? (exclusive !== undefined ? exclusive + 1 : -1_000_000), Number.MIN_SAFE_INTEGER);
  const max = Math.min(num(schema.maximum) ?? (num(schema.exclusiveMaximum) ?? 1_000_001) - 1, Number.MAX_SAFE_INTEGER);
  const small = fc.integer({ min: Math.max(min, -1_000_000), max: Math.max(Math.min(max, Math.max(min, -1_000_000) + 2_000_000), Math.max(min, -1_000_000)) });
  return fc.oneof({ weight: 6, arbitrary: small }, { weight: 1, arbitrary: fc.constantFrom(min, max) });
}

// ---------------------------------------------------------------------------------------------
// Hostile values

/** Path traversal and device strings, raw and percent-encoded. */
export const TRAVERSAL = [
  '..',
  '.',
  '../../../../etc/passwd',
  '..%2f..%2fetc%2fpasswd',
  '%2e%2e',
  '%2e%2e%2f%2e%2e%2f',
  '%252e%252e%252f',
  '..\\..\\windows\\win.ini',
  '%00',
  'a%00b',
  '%c0%ae%c0%ae',
  '%',
  '%zz',
  'CON',
  'nul.txt',
  '~',
  '//',
  '%2F',
  ';',
  '*',
  '>',
];

/** Strings that have broken parsers, file APIs and logs elsewhere. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...TRAVERSAL.map(decodeLoosely), '', ' ', '\0', 'a\0b', '/tmp/x\0.txt', '\uD800', '\uDFFF', '\uFEFF', '\u202E', 'ǅ', '𝔘𝔫𝔦', '\r\n', '${jndi:x}', '__proto__', 'constructor', 'toString', 'NaN', '-0', '1e999'),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.tuple(fc.constantFrom('a', '\0', '€', '/..'), fc.integer({ min: 256, max: 70_000 })).map(([unit, n]) => unit.repeat(n)),
);

function decodeLoosely(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Numbers at and past every boundary a schema might have. */
export const nastyNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(-1, 0, -0, 0.5, -0.5, 2 ** 31, 2 ** 31 - 1, -(2 ** 31), 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e21, 1e308, -1e308, Number.MIN_VALUE, Number.EPSILON),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

/** Nesting deep enough to trouble a recursive walker, small enough to stay under the body limit. */
export const deepNesting: fc.Arbitrary<unknown> = fc.tuple(fc.integer({ min: 50, max: 2_000 }), fc.boolean()).map(([depth, arrays]) => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = arrays ? [value] : { a: value };
  return value;
});

/** A value of any JSON type, hostile more often than not. */
export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: nastyString },
  { weight: 3, arbitrary: nastyNumber },
  // Made afresh each time: a shared constant object would turn mutated bodies into cycles.
  { weight: 1, arbitrary: fc.constantFrom(() => null, () => true, () => false, () => [], () => ({}), () => [null], () => ({ '': '' })).map((make) => make()) },
  { weight: 1, arbitrary: deepNesting },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.array(nastyString, { maxLength: 50 }) },
);

// ---------------------------------------------------------------------------------------------
// Mutations of a valid-shaped JSON value

export type Mutation =
  | { kind: 'replace'; at: number; value: unknown }
  | { kind: 'unknown_field'; at: number; key: string; value: unknown }
  | { kind: 'delete'; at: number }
  | { kind: 'proto'; at: number; key: '__proto__' | 'constructor' }
  | { kind: 'whole'; value: unknown };

export const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: nastyValue }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('unknown_field' as const), at: fc.nat(), key: fc.oneof(fc.string({ maxLength: 12 }), nastyString), value: nastyValue }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('proto' as const), at: fc.nat(), key: fc.constantFrom('__proto__' as const, 'constructor' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('whole' as const), value: nastyValue }) },
);

type Slot = { parent: Record<string, unknown> | unknown[]; key: string | number };

/** Places a mutation can land are looked for this deep at most (deep nesting is a value of its own). */
const MAX_WALK_DEPTH = 12;

/** Every place in a JSON value a mutation can land, the root's children first. */
function slots(value: unknown, out: Slot[] = [], depth = 0): Slot[] {
  if (depth > MAX_WALK_DEPTH) return out;
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      out.push({ parent: value, key: index });
      slots(item, out, depth + 1);
    });
  } else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      out.push({ parent: value as Record<string, unknown>, key });
      slots(item, out, depth + 1);
    }
  }
  return out;
}

function containers(value: unknown, out: Array<Record<string, unknown>> = [], depth = 0): Array<Record<string, unknown>> {
  if (depth > MAX_WALK_DEPTH) return out;
  if (value && typeof value === 'object' && !Array.isArray(value)) out.push(value as Record<string, unknown>);
  if (value && typeof value === 'object') for (const item of Object.values(value)) containers(item, out, depth + 1);
  return out;
}

/** Applies mutations to a copy of `value`: deterministic, so fast-check can replay and shrink. */
export function mutate(value: unknown, mutations: readonly Mutation[]): unknown {
  let root: unknown = structuredClone(value);
  for (const mutation of mutations) {
    if (mutation.kind === 'whole') {
      root = mutation.value;
      continue;
    }
    if (mutation.kind === 'replace' || mutation.kind === 'delete') {
      const all = slots(root);
      if (all.length === 0) {
        if (mutation.kind === 'replace') root = mutation.value;
        continue;
      }
      const slot = all[mutation.at % all.length]!;
      if (mutation.kind === 'replace') (slot.parent as Record<string | number, unknown>)[slot.key] = mutation.value;
      else if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 1);
      else delete slot.parent[slot.key as string];
      continue;
    }
    const objects = containers(root);
    if (objects.length === 0) continue;
    const target = objects[mutation.at % objects.length]!;
    if (mutation.kind === 'unknown_field') target[mutation.key] = mutation.value;
    else if (mutation.key === '__proto__') Object.defineProperty(target, '__proto__', { value: { polluted: true }, enumerable: true, configurable: true, writable: true });
    else target['constructor'] = { prototype: { polluted: true } };
  }
  return root;
}
