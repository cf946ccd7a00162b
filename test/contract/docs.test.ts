import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from '../../src/contract/errors.js';
import { EVENT_SCHEMAS, type EventType } from '../../src/contract/events.js';
import { NAMED_SCHEMAS } from '../../src/contract/openapi.js';
import { ROUTE_LIST } from '../../src/contract/routes/index.js';

const doc = readFileSync(new URL('../../docs/contract.md', import.meta.url), 'utf8');

/** The rows of the markdown table whose header row has exactly these cells. */
function table(header: readonly string[]): string[][] {
  const lines = doc.split('\n');
  const splitRow = (line: string) => line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((cell) => cell.trim());
  const start = lines.findIndex((line) => line.trim().startsWith('|') && splitRow(line).join('\u0000') === header.join('\u0000'));
  if (start < 0) throw new Error(`docs/contract.md has no table with header | ${header.join(' | ')} |`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.trim().startsWith('|')) break;
    const cells = splitRow(line);
    if (cells.length !== header.length) throw new Error(`row has ${cells.length} cells, expected ${header.length}: ${line}`);
    rows.push(cells);
  }
  return rows;
}

const unquote = (cell: string) => cell.replace(/^`(.*)`$/, '$1');
const firstCodeSpan = (cell: string) => /`([^`]+)`/.exec(cell)?.[1] ?? '';

function keyed<T>(rows: T[], key: (row: T) => string): Map<string, T> {
  const map = new Map<string, T>();
  for (const row of rows) {
    const k = key(row);
    if (map.has(k)) throw new Error(`docs/contract.md lists ${k} twice`);
    map.set(k, row);
  }
  return map;
}

/** Top-level fields of an object schema (or of every option of a union), `?` marking optional ones. */
function fields(schema: z.ZodType): string[] {
  if (schema instanceof z.ZodObject) {
    return Object.entries(schema.shape as Record<string, z.ZodType>).map(([name, field]) => (field instanceof z.ZodOptional ? `${name}?` : name));
  }
  if (schema instanceof z.ZodUnion) return [...new Set((schema.options as z.ZodType[]).flatMap(fields))];
  throw new Error('event payloads are objects or unions of objects');
}
const sorted = (values: Iterable<string>) => [...values].sort();

describe('docs/contract.md', () => {
  describe('routes table', () => {
    const rows = keyed(table(['Method', 'Path', 'Auth', 'Summary']), ([method, path]) => `${method} ${unquote(path ?? '')}`);
    const routes = keyed([...ROUTE_LIST], (route) => `${route.method} ${route.path}`);

    it('lists exactly the routes of ROUTES', () => {
      expect(sorted(rows.keys())).toEqual(sorted(routes.keys()));
    });

    it('gives each route its auth and summary', () => {
      for (const [key, route] of routes) {
        const [, , auth, summary] = rows.get(key) ?? [];
        expect({ key, auth: unquote(auth ?? ''), summary }).toEqual({ key, auth: route.auth, summary: route.summary });
      }
    });
  });

  describe('events table', () => {
    const rows = keyed(table(['Type', 'Data']), ([type]) => unquote(type ?? ''));

    it('lists exactly the event types of EVENT_SCHEMAS', () => {
      expect(sorted(rows.keys())).toEqual(sorted(Object.keys(EVENT_SCHEMAS)));
    });

    it('names the fields each event really carries', () => {
      for (const [type, schema] of Object.entries(EVENT_SCHEMAS) as [EventType, z.ZodType][]) {
        const data = firstCodeSpan(rows.get(type)?.[1] ?? '');
        const documented = data.startsWith('{')
          ? data.replace(/^\{|\}$/g, '').split(',').map((field) => field.trim())
          : fields(NAMED_SCHEMAS[data] ?? z.never());
        expect({ type, fields: sorted(documented) }).toEqual({ type, fields: sorted(fields(schema)) });
      }
    });
  });

  describe('error codes table', () => {
    const rows = keyed(table(['Code', 'HTTP', 'Meaning']), ([code]) => unquote(code ?? ''));

    it('lists exactly the codes of ERROR_CODES', () => {
      expect(sorted(rows.keys())).toEqual(sorted(Object.keys(ERROR_CODES)));
    });

    it('gives each code its status and the registry\'s sentence', () => {
      for (const [code, { status, description }] of Object.entries(ERROR_CODES) as [ErrorCode, { status: number; description: string }][]) {
        const [, http, meaning] = rows.get(code) ?? [];
        expect({ code, status: Number(http), meaning }).toEqual({ code, status, meaning: description });
      }
    });
  });
});
