import { get } from '../api.js';
import { h, replace } from '../dom.js';
import { dateTime, principal } from '../format.js';
import { heading, problem, stateTag } from './common.js';

/** Awake: whether sleep is prevented, by which inhibitor, and who holds each lock and why. */
export async function mount(root, ctx) {
  const body = h('div', { id: 'awake' });
  root.append(...heading('Awake', 'Locks that keep this computer from sleeping while agents work.'), body);
  const load = async () => {
    try {
      render(body, await get('/api/v1/awake/status'));
    } catch (error) {
      replace(body, problem('Sleep prevention', error));
    }
  };
  await load();
  return ctx.feed.on('awake.*', () => void load());
}

function render(el, s) {
  replace(el,
    s.supported ? null : h('div', { class: 'notice warn', role: 'note' }, `Sleep prevention does not work on this computer: ${s.reason ?? 'no inhibitor available'}.`),
    h('div', { class: 'grid' },
      h('dl', { class: 'fact' }, h('dt', {}, 'Sleep prevented'), h('dd', {}, s.active ? 'yes' : 'no')),
      h('dl', { class: 'fact' }, h('dt', {}, 'Inhibitor'), h('dd', {}, stateTag(s.inhibitor.state), s.inhibitor.command ? ` ${s.inhibitor.command}` : '')),
      h('dl', { class: 'fact' }, h('dt', {}, 'Restarts'), h('dd', {}, String(s.inhibitor.restarts)))),
    h('h2', {}, 'Locks'),
    s.locks.length === 0
      ? h('p', { class: 'muted' }, 'No locks held.')
      : h('div', { class: 'table-wrap' }, h('table', { 'aria-label': 'Awake locks' },
          h('thead', {}, h('tr', {}, ['Reason', 'Held by', 'Since', 'Until', 'Run'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, s.locks.map((l) => h('tr', {}, h('td', {}, l.reason), h('td', {}, principal(l.holder)), h('td', {}, dateTime(l.acquiredAt)), h('td', {}, l.expiresAt ? dateTime(l.expiresAt) : 'until released'), h('td', { class: 'mono' }, l.runId ?? '—')))))),
  );
}
