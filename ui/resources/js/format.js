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
  // A paired fleet orchestrator, over NATS: named by its key, so the person can tell which one.
  if (p.kind === 'fleet') return `fleet orchestrator ${p.orchestrator} (over NATS)`;
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

// The same rules as src/contract/visible-text.ts (the bridge's own escaping of prompt fields); a
// Chromium test checks that the page shows exactly what runs.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const C0_OR_DEL = /[\u0000-\u001f\u007f]/;
const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cs}\p{Cn}\p{Zs}\u115f\u1160\u3164\uffa0\u2800]/u;
const MARK = /\p{M}/u;

/**
 * What an agent asks to run, drawn whole with nothing invisible: C0 controls as control pictures
 * (newline → ␊, ESC → ␛, DEL → ␡); bidi controls (U+202A–202E, U+2066–2069), zero-width and other
 * format characters, line and paragraph separators, non-ASCII spaces and every other non-printing
 * character as ⟪U+XXXX⟫, so nothing can reorder, hide or fake the text around it.
 */
export function visible(text) {
  let out = '';
  let first = true;
  for (const char of String(text)) {
    if (C0_OR_DEL.test(char)) out += char === '\u007f' ? '\u2421' : String.fromCharCode(0x2400 + char.charCodeAt(0));
    else if (char !== ' ' && (HIDDEN.test(char) || (first && MARK.test(char)))) out += `\u27eaU+${char.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}\u27eb`;
    else out += char;
    first = false;
  }
  return out;
}

/** Whether `visible` had to escape anything in `text`. */
export function hasHidden(text) {
  return visible(text) !== String(text);
}
