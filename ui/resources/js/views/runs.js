import { get, post } from '../api.js';
import { h, replace, toast } from '../dom.js';
import { bytes, duration, principal, time } from '../format.js';
import { AnsiUp } from '../../vendor/ansi_up.js';
import { heading, problem, stateTag } from './common.js';

const LIVE = new Set(['awaiting_permission', 'starting', 'running']);

/**
 * Runs: the newest command runs and, for the selected one, its output (buffered, then live from
 * events; ANSI colours rendered as classes, never as HTML from the process) and a terminate button.
 */
export async function mount(root, ctx) {
  const list = h('ul', { class: 'list', id: 'run-list', 'aria-label': 'Runs' });
  const detail = h('section', { id: 'run-detail', 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Select a run to see its output.'));
  const listBox = h('div', { class: 'panel' }, list);
  root.append(...heading('Runs', 'Commands agents ran through this bridge, newest first.'), h('div', { class: 'split' }, listBox, detail));
  const runs = new Map();
  let selected = null;
  let output = null;

  const renderList = () => {
    const sorted = [...runs.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    if (sorted.length === 0) return replace(list, h('li', { class: 'muted' }, 'No runs yet.'));
    replace(list, sorted.map((run) => h('li', {}, h('button', {
      class: 'item',
      'data-run-id': run.runId,
      'aria-pressed': String(run.runId === selected),
      onclick: () => select(run.runId),
    }, h('span', {}, run.title, h('div', { class: 'small muted mono' }, [run.template.command, ...run.template.args].join(' '))), stateTag(run.state)))));
  };

  const select = async (runId) => {
    selected = runId;
    renderList();
    output = null;
    try {
      const run = await get(`/api/v1/system/commands/runs/${encodeURIComponent(runId)}`);
      if (selected !== runId) return;
      runs.set(runId, run);
      output = showRun(detail, run);
    } catch (error) {
      replace(detail, problem('Run details', error));
    }
  };

  try {
    const reply = await get('/api/v1/system/commands/runs?limit=100');
    for (const run of reply.runs) runs.set(run.runId, run);
    renderList();
  } catch (error) {
    replace(listBox, problem('Command runs', error));
    return () => {};
  }
  const offs = [
    ctx.feed.on('system.command.*', ({ type, data }) => {
      if (type === 'system.command.stdout' || type === 'system.command.stderr') {
        if (data.runId === selected) output?.append(type.endsWith('stderr') ? 'stderr' : 'stdout', data);
        return;
      }
      runs.set(data.runId, { ...runs.get(data.runId), ...data });
      renderList();
      if (data.runId === selected) output?.update(runs.get(data.runId));
    }),
  ];
  const wanted = new URLSearchParams(location.hash.split('?')[1] ?? '').get('run');
  if (wanted) await select(wanted);
  return () => offs.forEach((off) => off());
}

function showRun(el, run) {
  const terminal = h('pre', { class: 'terminal', id: 'run-output', tabindex: '0', 'aria-label': 'Output' });
  const facts = h('dl', { class: 'kv' });
  const title = h('h2', {});
  const terminate = h('button', {
    class: 'danger',
    id: 'terminate',
    onclick: async () => {
      terminate.disabled = true;
      try {
        await post(`/api/v1/system/commands/runs/${encodeURIComponent(run.runId)}/terminate`, {});
        toast('Run terminated');
      } catch (error) {
        toast(`${error.code}: ${error.message}`, { bad: true });
        terminate.disabled = false;
      }
    },
  }, 'Terminate');
  const ansi = createAnsi();
  const offsets = { stdout: 0, stderr: 0 };
  const write = (stream, offset, text) => {
    // Events and the buffered page overlap: keep each byte range once.
    if (offset < offsets[stream]) return;
    offsets[stream] = offset + new TextEncoder().encode(text).length;
    const span = document.createElement('span');
    if (stream === 'stderr') span.className = 'stderr';
    span.innerHTML = ansi.render(text); // ansi_up escapes HTML and emits classes only
    terminal.append(span);
    terminal.scrollTop = terminal.scrollHeight;
  };
  const update = (r) => {
    replace(title, r.title, ' ', stateTag(r.state));
    replace(facts, ...[
      ['Command', [r.template.command, ...r.template.args].join(' ')],
      ['Directory', r.template.cwd ?? 'home directory'],
      ['Asked by', principal(r.requestedBy)],
      ['Why', r.reason],
      ['Started', time(r.startedAt)],
      ['Duration', duration(r.durationMs)],
      ['Exit', r.exitCode !== null && r.exitCode !== undefined ? `code ${r.exitCode}` : r.signal ?? (r.errorCode ?? '—')],
      ['Output', `${bytes(r.stdoutBytes ?? 0)} stdout, ${bytes(r.stderrBytes ?? 0)} stderr${r.partialOutput ? ' (partial: buffer full)' : ''}`],
    ].flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
    terminate.hidden = !LIVE.has(r.state);
  };
  update(run);
  replace(el, h('div', { class: 'panel' }, title, facts, h('div', { class: 'actions' }, terminate)), h('h3', {}, 'Output'), terminal);
  if (run.stdout) write('stdout', run.stdout.offset, run.stdout.data);
  if (run.stderr) write('stderr', run.stderr.offset, run.stderr.data);
  return { update, append: (stream, chunk) => write(stream, chunk.offset, chunk.chunk) };
}

function createAnsi() {
  const ansi = new AnsiUp();
  ansi.use_classes = true;
  ansi.escape_html = true;
  return { render: (text) => ansi.ansi_to_html(text) };
}
