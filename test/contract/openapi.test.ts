import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../src/contract/events.js';
import { buildOpenApiDocument, toOpenApiPath } from '../../src/contract/openapi.js';
import { ROUTE_LIST } from '../../src/contract/routes/index.js';

interface Operation {
  operationId: string;
  security: Record<string, string[]>[];
  parameters: { name: string; in: string; required: boolean }[];
  requestBody?: { content: Record<string, { schema: { $ref: string } }> };
  responses: Record<string, unknown>;
}
interface Document {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, { type: string; in: string; name: string }> };
  'x-events': { type: string; data: { $ref: string } }[];
}

const doc = buildOpenApiDocument() as Document;

/** Every `$ref` in the document with where it was found. */
function refs(node: unknown, at = '#'): [string, string][] {
  if (Array.isArray(node)) return node.flatMap((item, i) => refs(item, `${at}/${i}`));
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node as Record<string, unknown>).flatMap(([key, value]): [string, string][] =>
    key === '$ref' && typeof value === 'string' ? [[value, at]] : refs(value, `${at}/${key}`),
  );
}

/** Follows a local JSON pointer (`#/components/schemas/X`) in the document. */
function resolve(pointer: string): unknown {
  if (!pointer.startsWith('#/')) return undefined;
  return pointer
    .slice(2)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, token) => (node as Record<string, unknown> | undefined)?.[token], doc);
}

describe('buildOpenApiDocument', () => {
  it('is a plain JSON OpenAPI 3.1 document', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: 'osloop-bridge', version: 'osloop.bridge.v1' });
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });

  it('has an operation for every route, under its OpenAPI path', () => {
    for (const route of ROUTE_LIST) {
      const operation = doc.paths[toOpenApiPath(route.path)]?.[route.method.toLowerCase()];
      expect(operation?.operationId, `${route.method} ${route.path}`).toBe(route.id);
      expect(Object.keys(operation?.responses ?? {})).toContain(String(route.successStatus ?? 200));
    }
    const operations = Object.values(doc.paths).flatMap((methods) => Object.values(methods));
    expect(operations).toHaveLength(ROUTE_LIST.length);
  });

  it('converts :params to {params} and declares each as a required path parameter', () => {
    expect(toOpenApiPath('/api/v1/system/permissions/prompts/:requestId/resolve')).toBe('/api/v1/system/permissions/prompts/{requestId}/resolve');
    for (const [path, methods] of Object.entries(doc.paths)) {
      expect(path).not.toContain(':');
      const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const operation of Object.values(methods)) {
        const declared = operation.parameters.filter((p) => p.in === 'path');
        expect(declared.map((p) => p.name)).toEqual(names);
        expect(declared.every((p) => p.required)).toBe(true);
      }
    }
  });

  it('documents query parameters and request bodies', () => {
    const runs = doc.paths['/api/v1/system/commands/runs']?.get;
    expect(runs?.parameters.map((p) => `${p.in}:${p.name}`)).toEqual(['query:state', 'query:requestId', 'query:limit', 'query:cursor']);
    const execute = doc.paths['/api/v1/system/commands/execute']?.post;
    expect(execute?.requestBody?.content['application/json']?.schema.$ref).toBe('#/components/schemas/SystemCommandsExecuteRequest');
    expect(Object.keys(execute?.responses ?? {})).toEqual(['202', '4XX', '5XX']);
    // A job route answers every error in the refused shape the web app reads.
    expect(execute?.responses['4XX']).toEqual({ $ref: '#/components/responses/Refused' });
  });

  it('resolves every $ref inside the document', () => {
    const all = refs(doc);
    expect(all.length).toBeGreaterThan(50);
    const broken = all.filter(([pointer]) => resolve(pointer) === undefined);
    expect(broken).toEqual([]);
  });

  it('closes request bodies to unknown fields but leaves replies open to new ones', () => {
    expect(doc.components.schemas.SystemCommandsExecuteRequest).toMatchObject({ additionalProperties: false });
    expect(doc.components.schemas.RunSummary).not.toHaveProperty('additionalProperties');
  });

  it('keeps no $id or $schema inside components', () => {
    const text = JSON.stringify(doc.components);
    expect(text).not.toContain('"$id"');
    expect(text).not.toContain('"$schema"');
  });

  it('requires the session or UI token header on authenticated routes only', () => {
    expect(doc.components.securitySchemes.sessionToken).toEqual(expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-OSLOOP-BRIDGE-TOKEN' }));
    for (const route of ROUTE_LIST) {
      const security = doc.paths[toOpenApiPath(route.path)]?.[route.method.toLowerCase()]?.security ?? [];
      const schemes = security.flatMap((requirement) => Object.keys(requirement));
      if (route.auth === 'none') expect(schemes).toEqual([]);
      else for (const scheme of schemes) expect(doc.components.securitySchemes).toHaveProperty(scheme);
      if (route.auth === 'session' || route.auth === 'session_or_ui') expect(schemes).toContain('sessionToken');
    }
  });

  it('lists every event with the schema of its data', () => {
    expect(doc['x-events'].map((event) => event.type).sort()).toEqual([...EVENT_TYPES].sort());
    for (const event of doc['x-events']) expect(resolve(event.data.$ref)).toBeTypeOf('object');
  });
});
