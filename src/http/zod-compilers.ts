import type { FastifySchemaCompiler } from 'fastify';
import type { FastifySerializerCompiler } from 'fastify/types/schema.js';
import { ResponseSerializationError, serializerCompiler as encodingSerializerCompiler, validatorCompiler as zodValidatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';

/**
 * fastify-type-provider-zod's compilers with every schema compiled once (`z.compile`), when its
 * route is first used. Same checks, same errors; measured on the bridge-info reply, a compiled
 * parse takes 0.06 µs where the provider's `safeEncode` took 3.5 µs. Compiling all ~100 request
 * and reply schemas at registration was half of the bridge's start-up CPU (docs/performance.md),
 * and most routes of a given start are never called.
 */
export const validatorCompiler: FastifySchemaCompiler<z.ZodType> = (route) => {
  if (!(route.schema instanceof z.ZodType)) return zodValidatorCompiler(route);
  const schema = route.schema;
  let validate: ReturnType<FastifySchemaCompiler<z.ZodType>> | undefined;
  return (data) => (validate ??= zodValidatorCompiler({ ...route, schema: z.compile(schema) }))(data);
};

/**
 * Replies are checked against their zod schema, unknown keys stripped, then stringified. The
 * provider does that with `safeEncode`, which runs the schema backward and skips zod's compiled
 * fast path; for a schema with nothing direction-dependent in it (no transform, codec, default…)
 * a forward parse gives the same verdict and value, so that one is compiled and used instead.
 */
export const serializerCompiler: FastifySerializerCompiler<z.ZodType> = (route) => {
  let serialize: ((data: unknown) => string) | undefined;
  return (data) => (serialize ??= compileSerializer(route))(data);
};

function compileSerializer(route: Parameters<FastifySerializerCompiler<z.ZodType>>[0]): (data: unknown) => string {
  const schema = route.schema as z.ZodType;
  if (!(schema instanceof z.ZodType) || !isDirectionFree(schema)) return encodingSerializerCompiler(route);
  const compiled = z.compile(schema);
  return (data) => {
    const result = compiled.safeParse(data);
    if (!result.success) throw new ResponseSerializationError(route.method, route.url, { cause: result.error });
    return JSON.stringify(result.data);
  };
}

/** Schema kinds whose encoding differs from their parsing (or cannot be inspected up front). */
const DIRECTIONAL = new Set(['transform', 'pipe', 'default', 'prefault', 'catch', 'success', 'readonly', 'lazy', 'promise', 'custom']);

/** Whether parsing `schema` forward checks and produces exactly what encoding it would. */
export function isDirectionFree(schema: z.core.$ZodType, seen = new Set<z.core.$ZodType>()): boolean {
  if (seen.has(schema)) return true;
  seen.add(schema);
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  if (DIRECTIONAL.has(def.type)) return false;
  // Encoding matches an absent tag against every option, parsing only against one whose tag may
  // be absent: the same verdict unless some option's tag is optional.
  if (typeof def.discriminator === 'string' && !tagsRequired(def.discriminator, def.options)) return false;
  for (const [key, value] of Object.entries(def)) {
    if (key === 'checks') continue;
    for (const child of childSchemas(value)) if (!isDirectionFree(child, seen)) return false;
  }
  return true;
}

function tagsRequired(discriminator: string, options: unknown): boolean {
  if (!Array.isArray(options)) return false;
  return options.every((option: z.core.$ZodType) => {
    const values = (option._zod as { propValues?: Record<string, Set<unknown>> }).propValues?.[discriminator];
    return values !== undefined && values.size > 0 && !values.has(undefined);
  });
}

/** The schemas held by one field of a definition: itself, an array of them, or an object's shape. */
function childSchemas(value: unknown): z.core.$ZodType[] {
  if (value instanceof z.core.$ZodType) return [value];
  if (Array.isArray(value)) return value.filter((item): item is z.core.$ZodType => item instanceof z.core.$ZodType);
  if (value !== null && typeof value === 'object') {
    return Object.values(value).filter((item): item is z.core.$ZodType => item instanceof z.core.$ZodType);
  }
  return [];
}
