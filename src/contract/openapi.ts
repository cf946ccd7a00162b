import { z } from 'zod';
import { DEFAULT_PORT, PROTOCOL_VERSION, TOKEN_HEADER, UI_TOKEN_HEADER } from './constants.js';
import { errorBodySchema } from './errors.js';
import { EVENT_SCHEMAS, type EventType, controlFrameSchema, eventEnvelopeSchema } from './events.js';
import type { RouteAuth, RouteDef } from './route.js';
import { awakeLockSchema, awakeStatusSchema } from './routes/awake.js';
import { commandTemplateSchema, outputChunkSchema, runDetailsSchema, runSummarySchema } from './routes/commands.js';
import { targetSchema } from './routes/filesystem.js';
import { jobAcceptedSchema, jobEventSchema, jobRefusedSchema } from './routes/jobs.js';
import { ROUTE_LIST } from './routes/index.js';
import { mcpServerViewSchema } from './routes/mcp.js';
import { decisionSchema, promptViewSchema, whitelistRuleSchema } from './routes/permissions.js';
import { recipeSchema, systemInfoSchema, toolStatusSchema } from './routes/system.js';

type JsonSchema = Record<string, unknown>;

/** Entities services and clients share, given readable component names in the document. */
export const NAMED_SCHEMAS: Record<string, z.ZodType> = {
  ErrorBody: errorBodySchema,
  JobRefused: jobRefusedSchema,
  JobAccepted: jobAcceptedSchema,
  JobEvent: jobEventSchema,
  EventEnvelope: eventEnvelopeSchema,
  ControlFrame: controlFrameSchema,
  CommandTemplate: commandTemplateSchema,
  RunSummary: runSummarySchema,
  RunDetails: runDetailsSchema,
  OutputChunk: outputChunkSchema,
  WhitelistRule: whitelistRuleSchema,
  PromptView: promptViewSchema,
  Decision: decisionSchema,
  McpServerView: mcpServerViewSchema,
  AwakeLock: awakeLockSchema,
  AwakeStatus: awakeStatusSchema,
  Target: targetSchema,
  SystemInfo: systemInfoSchema,
  ToolStatus: toolStatusSchema,
  Recipe: recipeSchema,
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const pascal = (dotted: string) =>
  dotted
    .split(/[._-]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');

/** `:runId` → `{runId}`. */
export function toOpenApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** Converts one standalone schema (no references) and drops the `$schema` keyword. */
function inlineSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, target: 'draft-2020-12' }) as JsonSchema;
  return rest;
}

/**
 * Converts every schema of a registry at once, so that schemas registered under a name are
 * `$ref`s wherever they appear. `$id`/`$schema` are dropped: inside an OpenAPI document the
 * component's place is its identity.
 */
function convertRegistry(registry: z.core.$ZodRegistry<{ id: string }>, io: 'input' | 'output'): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(registry, {
    io,
    target: 'draft-2020-12',
    uri: (id) => `#/components/schemas/${id}`,
    // zod marks every output object closed; replies and events may gain fields in a minor
    // version, so only request bodies (input) stay `additionalProperties: false`.
    override: ({ jsonSchema }) => {
      if (io === 'output' && jsonSchema.additionalProperties === false) delete jsonSchema.additionalProperties;
    },
  });
  const out: Record<string, JsonSchema> = {};
  for (const [name, schema] of Object.entries(schemas)) {
    const { $schema: _s, $id: _i, ...rest } = schema as JsonSchema;
    out[name] = rest;
  }
  return out;
}

/** Names a schema once; a schema already named (an entity used as a reply) keeps its name. */
function namer(registry: z.core.$ZodRegistry<{ id: string }>) {
  const names = new Map<z.ZodType, string>();
  return (schema: z.ZodType, name: string): string => {
    const existing = names.get(schema);
    if (existing) return existing;
    names.set(schema, name);
    registry.add(schema, { id: name });
    return name;
  };
}

function parameters(route: RouteDef): JsonSchema[] {
  const result: JsonSchema[] = [];
  for (const [location, schema] of [['path', route.params], ['query', route.query]] as const) {
    if (!schema) continue;
    const json = inlineSchema(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, property] of Object.entries(json.properties ?? {})) {
      const { description, ...propertySchema } = property;
      result.push({
        name,
        in: location,
        required: location === 'path' || (json.required ?? []).includes(name),
        ...(typeof description === 'string' ? { description } : {}),
        schema: propertySchema,
      });
    }
  }
  return result;
}

function security(auth: RouteAuth): JsonSchema[] {
  switch (auth) {
    case 'none':
      return [];
    case 'session':
      return [{ sessionToken: [] }];
    case 'ui':
      return [{ uiToken: [] }];
    case 'session_or_ui':
      return [{ sessionToken: [] }, { uiToken: [] }];
  }
}

const canonicalHeader = (header: string) => header.toUpperCase();

/** The OpenAPI 3.1 document of the contract, generated from `ROUTES` and `EVENT_SCHEMAS`. */
export function buildOpenApiDocument(): object {
  const outputs = z.registry<{ id: string }>();
  const inputs = z.registry<{ id: string }>();
  const nameOutput = namer(outputs);
  const nameInput = namer(inputs);

  for (const [name, schema] of Object.entries(NAMED_SCHEMAS)) nameOutput(schema, name);
  const events = Object.entries(EVENT_SCHEMAS).map(([type, schema]) => ({
    type: type as EventType,
    component: nameOutput(schema, `${pascal(type)}Event`),
  }));

  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of ROUTE_LIST) {
    const replyName = nameOutput(route.reply, `${pascal(route.id)}Reply`);
    const bodyName = route.body ? nameInput(route.body, `${pascal(route.id)}Request`) : undefined;
    const operation: JsonSchema = {
      operationId: route.id,
      summary: route.summary,
      tags: [route.id.split('.')[0]],
      security: security(route.auth),
      parameters: parameters(route),
      responses: {
        [String(route.successStatus ?? 200)]: { description: route.summary, content: { 'application/json': { schema: ref(replyName) } } },
        // Job routes (execute, install) answer every error in the refusal shape, `error` included.
        '4XX': { $ref: `#/components/responses/${route.refusals === 'accepted' ? 'Refused' : 'Error'}` },
        '5XX': { $ref: `#/components/responses/${route.refusals === 'accepted' ? 'Refused' : 'Error'}` },
      },
    };
    if (route.body && bodyName) {
      operation.requestBody = {
        required: !route.body.safeParse(undefined).success,
        content: { 'application/json': { schema: ref(bodyName) } },
      };
    }
    const path = toOpenApiPath(route.path);
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation };
  }

  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'osloop-bridge',
      version: PROTOCOL_VERSION,
      description:
        `Local bridge between the OS Loop web app and this machine, on 127.0.0.1:${DEFAULT_PORT} (never another port). ` +
        'Events stream on GET /ws/v1/events?sessionToken=…; `x-events` lists each event type with the schema of its `data`.',
    },
    servers: [{ url: `http://127.0.0.1:${DEFAULT_PORT}` }],
    paths,
    components: {
      schemas: { ...convertRegistry(outputs, 'output'), ...convertRegistry(inputs, 'input') },
      responses: {
        Error: { description: 'Error (see the error codes of docs/contract.md)', content: { 'application/json': { schema: ref('ErrorBody') } } },
        Refused: {
          description: 'A refused job (execute, install): `accepted: false` and `reason`, beside the usual `error` (see docs/contract.md)',
          content: { 'application/json': { schema: ref('JobRefused') } },
        },
      },
      securitySchemes: {
        sessionToken: { type: 'apiKey', in: 'header', name: canonicalHeader(TOKEN_HEADER), description: 'Web-app session token from POST /api/v1/session/handshake.' },
        uiToken: { type: 'apiKey', in: 'header', name: canonicalHeader(UI_TOKEN_HEADER), description: 'The local UI\'s own credential, read from the bridge\'s data directory.' },
      },
    },
    'x-events': events.map(({ type, component }) => ({ type, data: ref(component) })),
  };
}
