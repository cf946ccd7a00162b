/**
 * DNS-rebinding defence: the request must name this bridge exactly. Frameworks accept an empty
 * or repeated Host, so the raw header lines are counted here.
 */
export type HostVerdict = { ok: true } | { ok: false; status: 400 | 403; reason: string };

const HOST_SYNTAX = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

const HOST_OK: HostVerdict = Object.freeze({ ok: true });

export function checkHost(rawHeaders: readonly string[], port: number): HostVerdict {
  // Counted without collecting: only a name of four letters is lower-cased (every request pays this loop).
  let count = 0;
  let value = '';
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host') {
      if (++count === 1) value = rawHeaders[i + 1] ?? '';
    }
  }
  if (count === 0) return { ok: false, status: 400, reason: 'missing Host header' };
  if (count > 1) return { ok: false, status: 400, reason: 'duplicated Host header' };
  const allowed = allowedHosts(port);
  // The usual case, an exact allowed host, is well formed by construction: no regular expression.
  if (allowed.has(value)) return HOST_OK;
  const host = value.trim();
  if (host === '') return { ok: false, status: 400, reason: 'empty Host header' };
  if (!HOST_SYNTAX.test(host)) return { ok: false, status: 400, reason: 'malformed Host header' };
  if (!allowed.has(host) && !allowed.has(host.toLowerCase())) return { ok: false, status: 403, reason: `Host must be one of ${[...allowed].join(', ')}` };
  return HOST_OK;
}

const cache = new Map<number, Set<string>>();
function allowedHosts(port: number): Set<string> {
  let hosts = cache.get(port);
  if (!hosts) {
    hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
    cache.set(port, hosts);
  }
  return hosts;
}
