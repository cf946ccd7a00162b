import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { JsonSchemaType, JsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';

export type OutputSchemaVerdict = { outputSchema: 'valid' | 'invalid' | 'not_declared' | 'not_checked'; outputSchemaErrors: string[] };

/**
 * The SDK's Ajv validator, loaded when a tool that declares an outputSchema first returns: nothing
 * else a start needs loads Ajv (about a hundred modules; issue 15, cold start).
 */
let validator: Promise<AjvJsonSchemaValidator> | undefined;
const loadValidator = () =>
  (validator ??= import('@modelcontextprotocol/sdk/validation/ajv').then(({ AjvJsonSchemaValidator }) => new AjvJsonSchemaValidator()));
/** Compiled once per listed tool: a tool list is replaced, never mutated, when it changes. */
const compiled = new WeakMap<object, JsonSchemaValidator<unknown> | Error>();

/**
 * Checks a result against the tool's declared `outputSchema`, as the spec asks of clients: a
 * tool that declares one must return conforming `structuredContent`. The result itself is
 * passed on unchanged either way; this only says whether it can be trusted to the schema.
 * Synchronous except the first time a schema is compiled (Ajv loads then): a call's reply then
 * waits for no extra promise turns (issue 15, the echo call's latency).
 */
export function checkOutputSchema(tool: Pick<Tool, 'outputSchema'> | undefined, result: CallToolResult): OutputSchemaVerdict | Promise<OutputSchemaVerdict> {
  const schema = tool?.outputSchema;
  if (!schema) return { outputSchema: 'not_declared', outputSchemaErrors: [] };
  if (result.isError === true) return { outputSchema: 'not_checked', outputSchemaErrors: [] };
  if (result.structuredContent === undefined) {
    return { outputSchema: 'invalid', outputSchemaErrors: ['The tool declares an outputSchema but returned no structuredContent.'] };
  }
  const validate = compiled.get(schema);
  if (validate) return verdictOf(validate, result.structuredContent);
  return loadValidator().then((ajv) => {
    let fresh: JsonSchemaValidator<unknown> | Error;
    try {
      fresh = ajv.getValidator(schema as JsonSchemaType);
    } catch (error) {
      fresh = error instanceof Error ? error : new Error(String(error));
    }
    compiled.set(schema, fresh);
    return verdictOf(fresh, result.structuredContent);
  });
}

function verdictOf(validate: JsonSchemaValidator<unknown> | Error, structuredContent: unknown): OutputSchemaVerdict {
  if (validate instanceof Error) return { outputSchema: 'invalid', outputSchemaErrors: [`The tool's outputSchema cannot be compiled: ${validate.message}`] };
  const verdict = validate(structuredContent);
  return verdict.valid ? { outputSchema: 'valid', outputSchemaErrors: [] } : { outputSchema: 'invalid', outputSchemaErrors: [verdict.errorMessage] };
}
