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
 */
export async function checkOutputSchema(tool: Pick<Tool, 'outputSchema'> | undefined, result: CallToolResult): Promise<OutputSchemaVerdict> {
  const schema = tool?.outputSchema;
  if (!schema) return { outputSchema: 'not_declared', outputSchemaErrors: [] };
  if (result.isError === true) return { outputSchema: 'not_checked', outputSchemaErrors: [] };
  if (result.structuredContent === undefined) {
    return { outputSchema: 'invalid', outputSchemaErrors: ['The tool declares an outputSchema but returned no structuredContent.'] };
  }
  let validate = compiled.get(schema);
  if (!validate) {
    const ajv = await loadValidator();
    try {
      validate = ajv.getValidator(schema as JsonSchemaType);
    } catch (error) {
      validate = error instanceof Error ? error : new Error(String(error));
    }
    compiled.set(schema, validate);
  }
  if (validate instanceof Error) return { outputSchema: 'invalid', outputSchemaErrors: [`The tool's outputSchema cannot be compiled: ${validate.message}`] };
  const verdict = validate(result.structuredContent);
  return verdict.valid ? { outputSchema: 'valid', outputSchemaErrors: [] } : { outputSchema: 'invalid', outputSchemaErrors: [verdict.errorMessage] };
}
