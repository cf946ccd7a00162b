import { get } from '../api.js';
import { h, replace } from '../dom.js';
import { duration, time } from '../format.js';
import { newerRun } from '../run-state.js';
import { runTitle } from '../run-text.js';
import { heading, problem, stateTag } from './common.js';
import { showRun } from './run-detail.js';

/**
 * Runs: the newest command runs (what runs, when, for how long), and for the selected one its
 * details and output (buffered in the order written, then live from events; ANSI colours as
 * classes, never as HTML from the process), who decided it, why it failed, and terminate.
 * A run is listed the moment it exists, while it still awaits permission.
 */
export async function mount(root, ctx) {
  const list = h('ul', { class: 'list', id: 'run-list', 'aria-label': 'Runs' });
  const detail = h('section', { id: 'run-detail', 'aria-label': 'Selected run', tabindex: '-1' }, h('p', { class: 'muted' }, 'Select a run to see its output.'));
  const listBox = h('div', { class: 'panel' }, list);
  root.append(...heading('Runs', 'Commands agents ran through this bridge, newest first.'), h('div', { class: 'split runs-split' }, listBox, detail));
  const runs = new Map();
  let selected = null;
  let output = null;
  // Live chunks of the selected run that arrive while its details are being fetched: replayed
  // after the buffered page (which keeps each byte range once), so none falls between the two.
  let early = [];

  const renderList = () => {
    const sorted = [...runs.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    if (sorted.length === 0) return replace(list, h('li', { class: 'muted' }, 'No runs yet.'));
    replace(list, sorted.map((run) => h('li', {}, h('button', {
      class: 'item run-item',
      'data-run-id': run.runId,
      'aria-pressed': String(run.runId === selected),
      onclick: () => void select(run.runId, { scroll: true }),
    },
    h('span', { class: 'what' }, runTitle(run)),
    stateTag(run.state),
    h('span', { class: 'when' }, `${time(run.createdAt)}${run.durationMs !== null && run.durationMs !== undefined ? ` · ${duration(run.durationMs)}` : ''}${run.title ? ` · "${run.title}"` : ''}`)))));
  };

  const select = async (runId, { scroll = false } = {}) => {
    selected = runId;
    renderList();
    output?.stop();
    output = null;
    early = [];
    try {
      const fetched = await get(`/api/v1/system/commands/runs/${encodeURIComponent(runId)}`);
      if (selected !== runId) return;
      // A state event that came while the details were on the wire may be newer than they are.
      const run = newerRun(runs.get(runId), fetched);
      runs.set(runId, run);
      output = showRun(detail, run);
      for (const [stream, chunk] of early.splice(0)) output.append(stream, chunk);
      // At small widths the details sit above the list: bring them into view, visibly.
      if (scroll) {
        detail.scrollIntoView({ block: 'start' });
        detail.focus({ preventScroll: true });
      }
    } catch (error) {
      replace(detail, problem('Run details', error));
    }
  };

  /** A run the list does not know yet (it awaits permission, or was queued): fetch and add it. */
  const learn = async (runId) => {
    if (!runId || runs.has(runId)) return;
    try {
      const fetched = await get(`/api/v1/system/commands/runs/${encodeURIComponent(runId)}`);
      runs.set(runId, newerRun(runs.get(runId), fetched));
      renderList();
    } catch {
      // Not a command run this page can show (or already gone).
    }
  };

  // Subscribed before the first list, so that no run falls between the list and the events.
  const offs = [
    ctx.feed.on('system.command.*', ({ type, data }) => {
      if (type === 'system.command.stdout' || type === 'system.command.stderr') {
        if (data.runId !== selected) return;
        const stream = type.endsWith('stderr') ? 'stderr' : 'stdout';
        if (output) output.append(stream, data);
        else early.push([stream, data]);
        return;
      }
      runs.set(data.runId, { ...runs.get(data.runId), ...data });
      renderList();
      if (data.runId === selected) output?.update(runs.get(data.runId));
    }),
    ctx.feed.on('permission.prompt.created', ({ data }) => {
      if (data.kind === 'command' || data.kind === 'install') void learn(data.subjectId);
    }),
    ctx.feed.on('bridge.job.*', ({ data }) => void learn(data.runId)),
    // A decision changes the "who decided" line of the selected run before its next state event.
    ctx.feed.on('permission.decision.recorded', ({ data }) => {
      if (data.subject?.id === selected && runs.has(selected)) output?.update({ ...runs.get(selected), decisionId: data.decisionId });
    }),
  ];
  try {
    const reply = await get('/api/v1/system/commands/runs?limit=100');
    // A run an event told of meanwhile is at least as new as the list's copy of it.
    for (const run of reply.runs) if (!runs.has(run.runId)) runs.set(run.runId, run);
    renderList();
  } catch (error) {
    offs.forEach((off) => off());
    replace(listBox, problem('Command runs', error));
    return () => {};
  }
  // Links such as the overview's `#runs?run=…` also arrive while this page is open.
  const wanted = () => new URLSearchParams(location.hash.split('?')[1] ?? '').get('run');
  const onHash = () => {
    if (location.hash.startsWith('#runs') && wanted() && wanted() !== selected) void select(wanted(), { scroll: true });
  };
  window.addEventListener('hashchange', onHash);
  if (wanted()) await select(wanted());
  return () => {
    window.removeEventListener('hashchange', onHash);
    output?.stop();
    offs.forEach((off) => off());
  };
}
