/**
 * "What the user saw is what runs": the web app sends every field twice, resolved (what runs) and
 * as a template (what the prompt shows, what rules match and what is stored). The resolved value
 * must be an *instance* of its template: every literal part equal, and only the
 * `__OSL_SECRET[<id>]__` spans free, each standing for any string without NUL. The bridge never
 * learns a secret: it only checks the literal text around opaque spans.
 *
 * Bounded work: at most MAX_PLACEHOLDERS_PER_FIELD spans per field, and matching is linear in the
 * length of both strings (a left-to-right scan with Knuth–Morris–Pratt; no regular expression,
 * no backtracking).
 */

export const SECRET_PLACEHOLDER_OPEN = '__OSL_SECRET[';
export const SECRET_PLACEHOLDER_CLOSE = ']__';
/** Longest placeholder id (the web app uses UUIDs). */
export const MAX_PLACEHOLDER_ID_LENGTH = 128;
/** A field with more placeholders than this is refused outright. */
export const MAX_PLACEHOLDERS_PER_FIELD = 32;

const isIdChar = (code: number) =>
  (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || code === 0x2d || code === 0x5f || code === 0x2e || code === 0x3a;

/**
 * A template cut at its placeholders: `literals.length === placeholders + 1`. Text that only looks
 * like a placeholder (`__OSL_SECRET[]__`, an id with a space) is literal.
 */
export interface TemplateParts {
  literals: string[];
  placeholders: number;
}

/** Splits a template into its literal parts; null when it has more than `max` placeholders. */
export function templateParts(template: string, max = MAX_PLACEHOLDERS_PER_FIELD): TemplateParts | null {
  const literals: string[] = [];
  let literalStart = 0;
  let searchFrom = 0;
  for (;;) {
    const open = template.indexOf(SECRET_PLACEHOLDER_OPEN, searchFrom);
    if (open < 0) break;
    let end = open + SECRET_PLACEHOLDER_OPEN.length;
    const idStart = end;
    while (end < template.length && end - idStart < MAX_PLACEHOLDER_ID_LENGTH && isIdChar(template.charCodeAt(end))) end++;
    if (end > idStart && template.startsWith(SECRET_PLACEHOLDER_CLOSE, end)) {
      if (literals.length >= max) return null;
      literals.push(template.slice(literalStart, open));
      literalStart = end + SECRET_PLACEHOLDER_CLOSE.length;
      searchFrom = literalStart;
    } else {
      searchFrom = open + 1;
    }
  }
  literals.push(template.slice(literalStart));
  return { literals, placeholders: literals.length - 1 };
}

/** Whether the template holds at least one placeholder. */
export function hasPlaceholder(template: string): boolean {
  const parts = templateParts(template, Number.MAX_SAFE_INTEGER);
  return parts !== null && parts.placeholders > 0;
}

/**
 * Whether `resolved` is an instance of `template`. Without placeholders the two must be equal.
 * With placeholders, neither may hold a NUL (a span is "any string without NUL", and a NUL in a
 * literal would make the spans ambiguous: refusing is the safe side).
 */
export function isTemplateInstance(template: string, resolved: string): boolean {
  const parts = templateParts(template);
  if (!parts) return false;
  if (parts.placeholders === 0) return template === resolved;
  if (template.includes('\0') || resolved.includes('\0')) return false;
  const { literals } = parts;
  const first = literals[0]!;
  const last = literals[literals.length - 1]!;
  if (resolved.length < first.length + last.length) return false;
  if (!resolved.startsWith(first) || !resolved.endsWith(last)) return false;
  // Middle literals, leftmost placement each: with free spans in between, the leftmost match
  // leaves the most room for what follows, so it succeeds whenever any placement does.
  let at = first.length;
  const limit = resolved.length - last.length;
  for (let i = 1; i < literals.length - 1; i++) {
    const found = indexOfWithin(resolved, literals[i]!, at, limit);
    if (found < 0) return false;
    at = found + literals[i]!.length;
  }
  return true;
}

/**
 * The text each placeholder stands for in `resolved` (leftmost placement), with the placeholder
 * it replaced: what an error message must never quote. Empty when `resolved` is no instance.
 */
export function secretSpans(template: string, resolved: string): Array<{ placeholder: string; value: string }> {
  const parts = templateParts(template);
  if (!parts || parts.placeholders === 0 || !isTemplateInstance(template, resolved)) return [];
  const { literals } = parts;
  const names: string[] = [];
  let rest = template;
  for (let i = 0; i < literals.length - 1; i++) {
    rest = rest.slice(literals[i]!.length);
    const end = rest.indexOf(SECRET_PLACEHOLDER_CLOSE) + SECRET_PLACEHOLDER_CLOSE.length;
    names.push(rest.slice(0, end));
    rest = rest.slice(end);
  }
  const spans: Array<{ placeholder: string; value: string }> = [];
  let at = literals[0]!.length;
  const limit = resolved.length - literals[literals.length - 1]!.length;
  for (let i = 1; i < literals.length; i++) {
    const next = i === literals.length - 1 ? limit : indexOfWithin(resolved, literals[i]!, at, limit);
    spans.push({ placeholder: names[i - 1]!, value: resolved.slice(at, next) });
    at = next + (i === literals.length - 1 ? 0 : literals[i]!.length);
  }
  return spans;
}

/** `haystack.indexOf(needle, from)` restricted to end by `limit`, in O(length) (KMP). */
function indexOfWithin(haystack: string, needle: string, from: number, limit: number): number {
  if (needle.length === 0) return from <= limit ? from : -1;
  const failure = new Int32Array(needle.length);
  for (let i = 1, k = 0; i < needle.length; i++) {
    while (k > 0 && needle.charCodeAt(i) !== needle.charCodeAt(k)) k = failure[k - 1]!;
    if (needle.charCodeAt(i) === needle.charCodeAt(k)) k++;
    failure[i] = k;
  }
  for (let i = from, k = 0; i < limit; i++) {
    while (k > 0 && haystack.charCodeAt(i) !== needle.charCodeAt(k)) k = failure[k - 1]!;
    if (haystack.charCodeAt(i) === needle.charCodeAt(k)) k++;
    if (k === needle.length) return i - needle.length + 1;
  }
  return -1;
}

/** The fields of a command (or a stdio MCP server) that may hold a secret, in one shape. */
export interface CommandFields {
  command: string;
  args: readonly string[];
  cwd?: string | null | undefined;
  env?: Readonly<Record<string, string>> | undefined;
  stdin?: string | undefined;
}

/** The fields of an HTTP MCP transport that may hold a secret. */
export interface HttpFields {
  url: string;
  headers: Readonly<Record<string, string>>;
}

/**
 * Where a resolved request is not an instance of its template. `path` names the field
 * (`['args', 2]`, `['env', 'TOKEN']`); the message never quotes a value, resolved or not.
 */
export interface TemplateMismatch {
  path: Array<string | number>;
  message: string;
}

const NOT_INSTANCE = 'is not an instance of its template: only __OSL_SECRET[...]__ spans may differ (at most 32 per field)';

/** Checks a whole command: command, every argument, cwd, every variable (same names) and stdin. */
export function commandMismatches(resolved: CommandFields, template: CommandFields): TemplateMismatch[] {
  const out: TemplateMismatch[] = [];
  if (!isTemplateInstance(template.command, resolved.command)) out.push({ path: ['command'], message: `command ${NOT_INSTANCE}` });
  if (resolved.args.length !== template.args.length) {
    out.push({ path: ['args'], message: `args must have as many items as their template (${template.args.length}), got ${resolved.args.length}` });
  } else {
    resolved.args.forEach((arg, index) => {
      if (!isTemplateInstance(template.args[index]!, arg)) out.push({ path: ['args', index], message: `args[${index}] ${NOT_INSTANCE}` });
    });
  }
  const cwd = optionalMismatch('cwd', template.cwd ?? undefined, resolved.cwd ?? undefined);
  if (cwd) out.push(cwd);
  out.push(...recordMismatches('env', template.env, resolved.env));
  const stdin = optionalMismatch('stdin', template.stdin, resolved.stdin);
  if (stdin) out.push(stdin);
  return out;
}

/** Checks an HTTP MCP transport: the URL and every header (same names). */
export function httpMismatches(resolved: HttpFields, template: HttpFields): TemplateMismatch[] {
  const out: TemplateMismatch[] = [];
  if (!isTemplateInstance(template.url, resolved.url)) out.push({ path: ['url'], message: `url ${NOT_INSTANCE}` });
  out.push(...recordMismatches('headers', template.headers, resolved.headers));
  return out;
}

function optionalMismatch(field: string, template: string | undefined, resolved: string | undefined): TemplateMismatch | null {
  if ((template === undefined) !== (resolved === undefined)) return { path: [field], message: `${field} must be present exactly when its template is` };
  if (template !== undefined && resolved !== undefined && !isTemplateInstance(template, resolved)) return { path: [field], message: `${field} ${NOT_INSTANCE}` };
  return null;
}

function recordMismatches(field: string, template: Readonly<Record<string, string>> | undefined, resolved: Readonly<Record<string, string>> | undefined): TemplateMismatch[] {
  const t = template ?? {};
  const r = resolved ?? {};
  const names = (record: Readonly<Record<string, string>>) => Object.keys(record).sort().join('\n');
  if (names(t) !== names(r)) return [{ path: [field], message: `${field} must name exactly the entries of its template` }];
  const out: TemplateMismatch[] = [];
  for (const name of Object.keys(t)) {
    if (!isTemplateInstance(t[name]!, r[name]!)) out.push({ path: [field, name], message: `${field}.${name} ${NOT_INSTANCE}` });
  }
  return out;
}
