/** Formatting helpers shared by the pages. */
export function time(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleTimeString();
}

export function dateTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
}

/** Seconds left of a countdown: "45 s" under two minutes, then "29 min 54 s". */
export function countdown(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 120 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

export function duration(ms) {
  if (ms === null || ms === undefined) return '—';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const hrs = Math.floor(m / 60);
  if (hrs < 48) return `${hrs} h ${m % 60} min`;
  return `${Math.floor(hrs / 24)} d ${hrs % 24} h`;
}

/** Who asked, from a principal. */
export function principal(p) {
  if (!p) return '—';
  if (p.kind === 'ui') return 'this computer\'s bridge UI';
  if (p.kind === 'session') return `${p.origin ?? 'unknown origin'} (session ${p.sessionId})`;
  return p.origin ?? 'anonymous';
}

/** A state value (string or nested object) as dotted paths: `{a:'b'}` → `a.b`. */
export function stateText(value) {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value;
  return Object.entries(value).map(([k, v]) => (typeof v === 'string' ? `${k}.${v}` : `${k}.(${stateText(v)})`)).join(', ');
}

export function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * Control characters drawn as Unicode control pictures (ESC → ␛, newline → ␊): what an agent asks
 * to run is shown whole, with nothing invisible and no escape sequence acting on the page.
 */
export function visible(text) {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return String(text).replace(/[\u0000-\u001f\u007f]/g, (c) => (c === '\u007f' ? '\u2421' : String.fromCharCode(0x2400 + c.charCodeAt(0))));
}
