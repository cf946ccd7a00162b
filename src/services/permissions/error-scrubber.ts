import { STATUS_CODES } from 'node:http';
import { secretSpans } from '../../contract/template-instance.js';

/** A value as run, and as the user saw it: a template field and its resolved instance. */
export interface ResolvedPair {
  template: string;
  resolved: string;
}

/** Shorter spans are left alone: a one-letter "secret" would erase every such letter of the message. */
const MIN_SCRUBBED_LENGTH = 2;

/**
 * Removes every resolved value from third-party error text (an SDK's, undici's, a server's
 * stderr) before it is stored or sent: each secret span, as sent and percent-encoded, becomes its
 * `__OSL_SECRET[...]__` placeholder again, and any whole resolved value that differs from its
 * template becomes the template. The bridge never shows what the user did not see.
 */
export function scrubResolved(text: string, pairs: readonly ResolvedPair[]): string {
  const replacements: Array<[string, string]> = [];
  for (const { template, resolved } of pairs) {
    if (template === resolved) continue;
    replacements.push([resolved, template]);
    for (const span of secretSpans(template, resolved)) {
      if (span.value.length < MIN_SCRUBBED_LENGTH) continue;
      replacements.push([span.value, span.placeholder]);
      const encoded = encodeURIComponent(span.value);
      if (encoded !== span.value) replacements.push([encoded, span.placeholder]);
    }
  }
  // Longest first, so that a value containing another is replaced whole.
  replacements.sort((a, b) => b[0].length - a[0].length);
  let out = text;
  for (const [value, shown] of replacements) if (value.length > 0) out = out.split(value).join(shown);
  return out;
}

/**
 * What an HTTP MCP server's failure may say: its status and the standard reason phrase, or the
 * network error's code. Never the response body, headers or the URL (the SDK and undici quote
 * them, with credentials).
 */
export function httpFailureReason(error: unknown): string {
  const status = statusOf(error);
  if (status !== null) return `The MCP server answered HTTP ${status}${STATUS_CODES[status] ? ` ${STATUS_CODES[status]}` : ''}.`;
  const code = networkCode(error);
  return code ? `The MCP server could not be reached (${code}).` : 'The connection to the MCP server failed.';
}

function statusOf(error: unknown): number | null {
  const candidates = [(error as { code?: unknown })?.code, (error as { status?: unknown })?.status];
  for (const value of candidates) if (typeof value === 'number' && value >= 100 && value <= 599) return value;
  const text = error instanceof Error ? error.message : '';
  const match = /\bHTTP (\d{3})\b/.exec(text) ?? /\bstatus(?: code)?:? (\d{3})\b/i.exec(text);
  return match ? Number(match[1]) : null;
}

function networkCode(error: unknown, depth = 0): string | null {
  if (!error || typeof error !== 'object' || depth > 4) return null;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^E[A-Z0-9_]{2,40}$/.test(code)) return code;
  if (typeof code === 'string' && /^UND_ERR_[A-Z_]{2,40}$/.test(code)) return code;
  return networkCode((error as { cause?: unknown }).cause, depth + 1);
}

/** A transport's fields, resolved or as template (structurally: stdio or HTTP). */
type TransportFields =
  | { type: 'stdio'; command: string; args: readonly string[]; cwd?: string | null | undefined; env?: Readonly<Record<string, string>> | undefined }
  | { type: string; url: string; headers: Readonly<Record<string, string>> };

/** The resolved/template pairs of an MCP transport, for `scrubResolved`. */
export function transportPairs(resolved: TransportFields, template: TransportFields | undefined): ResolvedPair[] {
  if (!template || resolved.type !== template.type) return [];
  if ('command' in resolved && 'command' in template) {
    const pairs: ResolvedPair[] = [{ template: template.command, resolved: resolved.command }];
    resolved.args.forEach((arg, i) => pairs.push({ template: template.args[i] ?? '', resolved: arg }));
    if (resolved.cwd && template.cwd) pairs.push({ template: template.cwd, resolved: resolved.cwd });
    for (const [name, value] of Object.entries(resolved.env ?? {})) pairs.push({ template: template.env?.[name] ?? '', resolved: value });
    return pairs;
  }
  if ('url' in resolved && 'url' in template) {
    const pairs: ResolvedPair[] = [{ template: template.url, resolved: resolved.url }];
    for (const [name, value] of Object.entries(resolved.headers)) pairs.push({ template: template.headers[name] ?? '', resolved: value });
    return pairs;
  }
  return [];
}
