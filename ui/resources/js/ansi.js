import { AnsiUp } from '../vendor/ansi_up.js';

/**
 * Terminal output as DOM nodes styled by classes only. The page's CSP (`style-src 'self'`) refuses
 * inline `style="…"` attributes, which is what ansi_up's HTML uses for bold, faint, italic and
 * underline: so we take ansi_up's parser (its packets and SGR state) and build the spans ourselves,
 * with `textContent` (process output is never parsed as HTML). Colours outside the 16-colour
 * palette (256-colour and truecolor) are set through the CSSOM, which CSP allows.
 */
export class AnsiRenderer {
  constructor() {
    this.parser = new AnsiUp();
    this.parser.use_classes = true;
  }

  /** Appends the nodes of `text` (a chunk of a stream; an escape split across chunks is kept for the next one). */
  render(text) {
    const parser = this.parser;
    const fragment = document.createDocumentFragment();
    parser.append_buffer(text);
    for (;;) {
      const packet = parser.get_next_packet();
      // PacketKind: 0 EOS, 1 Text, 2 Incomplete, 3 ESC, 4 Unknown, 5 SGR, 6 OSC hyperlink.
      if (packet.kind === 0 || packet.kind === 2) break;
      if (packet.kind === 1 || packet.kind === 6) fragment.append(this.span(parser.with_state(packet)));
      else if (packet.kind === 5) parser.process_ansi(packet);
    }
    return fragment;
  }

  span(state) {
    if (!state.bold && !state.faint && !state.italic && !state.underline && !state.fg && !state.bg) return document.createTextNode(state.text);
    const span = document.createElement('span');
    span.textContent = state.text;
    if (state.bold) span.classList.add('ansi-bold');
    if (state.faint) span.classList.add('ansi-faint');
    if (state.italic) span.classList.add('ansi-italic');
    if (state.underline) span.classList.add('ansi-underline');
    for (const [color, suffix, property] of [[state.fg, 'fg', 'color'], [state.bg, 'bg', 'backgroundColor']]) {
      if (!color) continue;
      if (color.class_name && color.class_name !== 'truecolor') span.classList.add(`${color.class_name}-${suffix}`);
      else span.style[property] = `rgb(${color.rgb.join(',')})`;
    }
    return span;
  }
}
