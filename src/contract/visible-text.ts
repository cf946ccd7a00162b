/**
 * What a prompt shows must be what runs, character for character: text an agent wrote is drawn
 * with every character that could hide, reorder or fake other text replaced by a visible escape.
 * The same rules are in `ui/resources/js/format.js` (`visible`), which the local UI uses; a test
 * checks that both agree.
 *
 * - C0 controls and DEL become control pictures (newline → ␊, ESC → ␛, DEL → ␡);
 * - every other control, format (bidi overrides and isolates U+202A–202E, U+2066–2069, marks,
 *   zero-width U+200B–200D, U+2060, U+FEFF, soft hyphen, tags), line and paragraph separator,
 *   private-use, surrogate, unassigned character and every space other than U+0020 becomes
 *   `⟪U+XXXX⟫` (U+27EA, U+27EB).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const C0_OR_DEL = /[\u0000-\u001f\u007f]/;
/** Controls, format characters, separators, private use, surrogates, unassigned, non-ASCII spaces, and letters drawn blank. */
const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cs}\p{Cn}\p{Zs}\u115f\u1160\u3164\uffa0\u2800]/u;
const MARK = /\p{M}/u;

const codePoint = (char: string) => `\u27eaU+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}\u27eb`;

/** The escape drawn for one character, or null to draw it as it is. */
function escapeOf(char: string, first: boolean): string | null {
  if (C0_OR_DEL.test(char)) return char === '\u007f' ? '\u2421' : String.fromCharCode(0x2400 + char.charCodeAt(0));
  if (char === ' ') return null;
  // Combining marks are ordinary text (accents), except first, where they join what came before.
  if (HIDDEN.test(char) || (first && MARK.test(char))) return codePoint(char);
  return null;
}

export interface VisibleText {
  /** The text with every hiding character escaped. */
  text: string;
  /** At least one character was escaped: the prompt flags the field. */
  escaped: boolean;
}

/** Escapes every character that could hide, reorder or fake text. */
export function visibleText(input: string): VisibleText {
  let text = '';
  let escaped = false;
  let first = true;
  for (const char of input) {
    const escape = escapeOf(char, first);
    first = false;
    if (escape === null) text += char;
    else {
      text += escape;
      escaped = true;
    }
  }
  return { text, escaped };
}
