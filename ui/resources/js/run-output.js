import { AnsiRenderer } from './ansi.js';
import { h } from './dom.js';

/** How close to the end (px) still counts as "at the bottom": following the tail. */
const BOTTOM_SLACK = 4;

/**
 * A run's terminal: output in the order the process wrote it, ANSI styles as classes, a tail that
 * is followed only while the reader is at the bottom (scrolling up stops it, "Jump to live"
 * resumes), search, copy and download. Each stream's byte ranges are written once, whether they
 * come from the buffered page or from live events.
 */
export function runTerminal(run) {
  const terminal = h('pre', { class: 'terminal', id: 'run-output', tabindex: '0', role: 'log', 'aria-live': 'off', 'aria-label': 'Output' });
  const jump = h('button', { class: 'primary jump-live', id: 'jump-live', type: 'button', hidden: true }, 'Jump to live ↓');
  const search = h('input', { type: 'search', id: 'output-search', placeholder: 'Search output…', 'aria-label': 'Search output' });
  const found = h('span', { class: 'small muted', id: 'output-found', role: 'status' });
  const copy = h('button', { type: 'button', id: 'output-copy' }, 'Copy');
  const download = h('button', { type: 'button', id: 'output-download' }, 'Download');
  const el = h('div', {},
    h('div', { class: 'terminal-bar' }, search, found, copy, download),
    h('div', { class: 'terminal-wrap' }, terminal, jump));

  const renderers = { stdout: new AnsiRenderer(), stderr: new AnsiRenderer() };
  const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  const offsets = { stdout: 0, stderr: 0 };
  let following = true;

  const atBottom = () => terminal.scrollHeight - terminal.scrollTop - terminal.clientHeight <= BOTTOM_SLACK;
  terminal.addEventListener('scroll', () => {
    following = atBottom();
    jump.hidden = following;
  });
  jump.addEventListener('click', () => {
    following = true;
    jump.hidden = true;
    terminal.scrollTop = terminal.scrollHeight;
    terminal.focus({ preventScroll: true });
  });

  const show = (stream, text) => {
    if (!text) return;
    const span = document.createElement('span');
    if (stream === 'stderr') span.className = 'stderr';
    span.append(renderers[stream].render(text));
    terminal.append(span);
    if (following) terminal.scrollTop = terminal.scrollHeight;
    else jump.hidden = false;
  };

  /** A live chunk (`system.command.stdout|stderr`): kept only if it starts where the stream is. */
  const append = (stream, chunk) => {
    if (chunk.offset < offsets[stream]) return;
    offsets[stream] = chunk.offset + chunk.bytes;
    show(stream, chunk.chunk);
  };

  /**
   * The buffered page of `GET …/runs/:id`: in the written order when the bridge kept it
   * (`interleaving`), else stdout then stderr.
   */
  const load = (details) => {
    const bytes = {
      stdout: details.stdout ? { base: details.stdout.offset, data: new TextEncoder().encode(details.stdout.data) } : null,
      stderr: details.stderr ? { base: details.stderr.offset, data: new TextEncoder().encode(details.stderr.data) } : null,
    };
    const take = (stream, from, to) => {
      const b = bytes[stream];
      if (!b || to <= offsets[stream]) return;
      const start = Math.max(from, offsets[stream]) - b.base;
      const end = Math.min(to - b.base, b.data.length);
      if (start < 0 || end <= start) return;
      offsets[stream] = b.base + end;
      show(stream, decoders[stream].decode(b.data.subarray(start, end), { stream: true }));
    };
    for (const segment of details.interleaving ?? []) take(segment.stream, segment.offset, segment.offset + segment.bytes);
    for (const stream of ['stdout', 'stderr']) if (bytes[stream]) take(stream, 0, bytes[stream].base + bytes[stream].data.length);
  };

  wireSearch(terminal, search, found);
  copy.addEventListener('click', async () => {
    const text = terminal.textContent;
    try {
      await navigator.clipboard.writeText(text);
      copy.textContent = 'Copied';
    } catch {
      // No clipboard permission: select the output so the person can copy it with the keyboard.
      getSelection().selectAllChildren(terminal);
      copy.textContent = 'Selected: press Ctrl+C';
    }
    setTimeout(() => (copy.textContent = 'Copy'), 2000);
  });
  download.addEventListener('click', () => {
    const url = URL.createObjectURL(new Blob([terminal.textContent], { type: 'text/plain;charset=utf-8' }));
    const link = h('a', { href: url, download: `${run.runId}.log`, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  });

  return { el, terminal, append, load, following: () => following };
}

/** Marks every match of the query in the terminal's text; Enter moves to the next one. */
function wireSearch(terminal, input, found) {
  let marks = [];
  let current = -1;
  const clear = () => {
    for (const mark of marks) mark.replaceWith(document.createTextNode(mark.textContent));
    terminal.normalize();
    marks = [];
    current = -1;
  };
  const run = () => {
    clear();
    const query = input.value;
    if (!query) return (found.textContent = '');
    const lower = query.toLowerCase();
    const walker = document.createTreeWalker(terminal, NodeFilter.SHOW_TEXT);
    const nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    for (const node of nodes) {
      let text = node.textContent;
      let at = text.toLowerCase().indexOf(lower);
      let rest = node;
      while (at >= 0) {
        const match = rest.splitText(at);
        rest = match.splitText(query.length);
        const mark = document.createElement('mark');
        match.replaceWith(mark);
        mark.append(match);
        marks.push(mark);
        text = rest.textContent;
        at = text.toLowerCase().indexOf(lower);
      }
    }
    found.textContent = marks.length ? `${marks.length} match${marks.length === 1 ? '' : 'es'}` : 'no match';
    next();
  };
  const next = () => {
    if (marks.length === 0) return;
    marks[current]?.classList.remove('current');
    current = (current + 1) % marks.length;
    marks[current].classList.add('current');
    marks[current].scrollIntoView({ block: 'nearest' });
    found.textContent = `${current + 1} of ${marks.length} matches`;
  };
  input.addEventListener('input', run);
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      next();
    }
  });
}
