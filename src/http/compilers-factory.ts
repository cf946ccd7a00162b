import type { FastifyServerOptions } from 'fastify';
import { serializerCompiler, validatorCompiler } from './zod-compilers.js';

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;

/**
 * The zod compilers as fastify's compiler factories (`schemaController.compilersFactory`).
 * Without them fastify requires its default Ajv and fast-json-stringify compilers (with Ajv, about
 * a hundred CommonJS modules) while it is constructed, although every schema of the bridge is
 * compiled by zod (issue 15, cold start). fastify types these factories after Ajv's and
 * fast-json-stringify's own, hence the cast; it calls them as it calls the compilers set with
 * `setValidatorCompiler` / `setSerializerCompiler`.
 */
export const zodCompilersFactory = {
  buildValidator: () => validatorCompiler,
  buildSerializer: () => serializerCompiler,
} as unknown as CompilersFactory;
