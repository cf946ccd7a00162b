import { get, post } from '../api.js';
import { h, replace, toast } from '../dom.js';
import { dateTime, principal } from '../format.js';
import { heading, problem, serialLoader, stateTag } from './common.js';

/** Awake: whether sleep is prevented, by which inhibitor, and who holds each lock and why. */
export async function mount(root, ctx) {
  const body = h('div', { id: 'awake' });
  root.append(...heading('Awake', 'Locks that keep this computer from sleeping while agents work.'), body);
  const load = serialLoader(async () => {
    try {
      render(body, await get('/api/v1/awake/status'), load);
    } catch (error) {
      replace(body, problem('Sleep prevention', error));
    }
  });
  // Subscribed before the first load, so that no change falls between the status and the events.
  const off = ctx.feed.on('awake.*', () => void load());
  await load();
  return off;
}

/** Until when a lock holds: a run's lock lives exactly as long as its run. */
function until(lock) {
  if (lock.runId) return h('a', { href: `#runs?run=${encodeURIComponent(lock.runId)}` }, 'until the run ends');
  return lock.expiresAt ? dateTime(lock.expiresAt) : 'until released';
}

function releaseButton(lock, reload) {
  if (lock.runId) return h('span', { class: 'small muted' }, 'ends with its run');
  return h('button', {
    class: 'danger',
    'data-action': 'release',
    'aria-label': `Release the lock "${lock.reason}"`,
    onclick: async (event) => {
      event.currentTarget.disabled = true;
      try {
        await post('/api/v1/awake/release', { lockId: lock.lockId });
        toast(`Released: ${lock.reason}`);
      } catch (error) {
        toast(`${error.code}: ${error.message}`, { bad: true });
      }
      await reload();
    },
  }, 'Release');
}

function render(el, s, reload) {
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
          h('thead', {}, h('tr', {}, ['Reason', 'Held by', 'Since', 'Until', ''].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, s.locks.map((l) => h('tr', { 'data-lock-id': l.lockId },
            h('td', {}, l.reason), h('td', {}, principal(l.holder)), h('td', {}, dateTime(l.acquiredAt)), h('td', {}, until(l)), h('td', {}, releaseButton(l, reload))))))),
  );
}
