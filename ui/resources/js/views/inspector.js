import { get } from '../api.js';
import { h, replace } from '../dom.js';
import { stateText, time } from '../format.js';
import { ReconnectingSocket } from '../live.js';
import { panZoom } from '../pan-zoom.js';
import { drawStatechart } from '../statechart.js';
import { heading, problem } from './common.js';

const MAX_LOG = 500;
const MAX_ENDED = 100;
/** States in which an actor waits for the person: coloured "needs you", never as healthy. */
const NEEDS_YOU = new Set(['pending', 'awaiting_permission']);

/** What a person calls an actor: its run's title, its server's name, its lock's reason… not only its id. */
export function actorLabel(actor) {
  const c = actor.context ?? {};
  const text = c.title ?? c.name ?? c.serverName ?? c.tool ?? c.reason ?? c.clientName ?? c.origin ?? null;
  return typeof text === 'string' && text !== actor.kind ? text : null;
}

/**
 * Inspector: every live actor as a tree under the bridge, its current state and redacted context,
 * its machine drawn as a statechart with the current state highlighted, and a live transition log
 * with filters. Actors that finished stay listed (marked ended) until cleared.
 */
export async function mount(root) {
  let machines;
  try {
    machines = new Map((await get('/api/v1/ui/machines')).machines.map((m) => [m.machineId, m]));
  } catch (error) {
    root.append(...heading('Inspector'), problem('Machine definitions', error));
    return () => {};
  }
  const actors = new Map();
  const log = [];
  const charts = new Map();
  let selected = 'bridge';

  const kindFilter = h('select', { id: 'filter-kind' }, h('option', { value: '' }, 'all kinds'), [...machines.keys()].map((k) => h('option', { value: k }, k)));
  const actorFilter = h('input', { type: 'text', id: 'filter-actor', placeholder: 'actor id contains…' });
  const eventFilter = h('input', { type: 'text', id: 'filter-event', placeholder: 'event contains…' });
  const onlySelected = h('input', { type: 'checkbox', id: 'filter-selected' });
  const tree = h('ul', { class: 'tree', id: 'actor-tree', 'aria-label': 'Live actors' });
  const detail = h('section', { id: 'actor-detail', 'aria-label': 'Selected actor' });
  const logBody = h('tbody', {});
  const conn = h('span', { class: 'small muted', role: 'status' }, 'connecting…');

  root.append(
    ...heading('Inspector', 'Everything the bridge does is done by actors: small state machines. The bridge actor supervises one child per session, run, prompt, MCP connection and awake lock. Pick one to see its machine and where it is now.'),
    h('div', { class: 'split' },
      h('div', { class: 'panel' }, h('h2', {}, 'Actors ', conn), tree, h('div', { class: 'actions' }, h('button', { onclick: () => clearEnded() }, 'Clear ended actors'))),
      detail),
    h('h2', {}, 'Transitions'),
    h('div', { class: 'filters', role: 'search' },
      h('label', {}, 'Kind', kindFilter), h('label', {}, 'Actor', actorFilter), h('label', {}, 'Event', eventFilter),
      h('label', {}, h('span', {}, 'Selected actor only'), onlySelected)),
    h('div', { class: 'table-wrap' }, h('table', { 'aria-label': 'Transition log', id: 'transition-log' },
      h('thead', {}, h('tr', {}, ['Time', 'Kind', 'Actor', 'Event', 'New state'].map((t) => h('th', { scope: 'col' }, t)))),
      logBody)),
  );

  const visible = (t) =>
    (!kindFilter.value || t.kind === kindFilter.value) &&
    (!actorFilter.value || t.actorId.includes(actorFilter.value.trim())) &&
    (!eventFilter.value || t.event.includes(eventFilter.value.trim())) &&
    (!onlySelected.checked || t.actorId === selected);

  const logRow = (t, fresh) => h('tr', { class: fresh ? 'fresh' : undefined, 'data-actor-id': t.actorId },
    h('td', {}, time(new Date(t.at).toISOString())), h('td', {}, t.kind), h('td', { class: 'mono small' }, t.actorId),
    h('td', { class: 'mono' }, t.event || '—'), h('td', {}, stateText(t.state), t.status !== 'active' ? ` (${t.status})` : ''));
  const emptyRow = () => h('tr', { class: 'empty' }, h('td', { colspan: '5', class: 'muted' },
    log.length === 0 ? 'No transitions yet: they appear here as actors move.' : 'No transition matches these filters.'));
  const renderLog = () => {
    const rows = log.filter(visible).slice(0, 200).map((t) => logRow(t, false));
    replace(logBody, rows.length ? rows : emptyRow());
  };
  for (const input of [kindFilter, actorFilter, eventFilter, onlySelected]) input.addEventListener('input', renderLog);

  const renderTree = () => {
    const byParent = new Map();
    for (const a of actors.values()) {
      const key = a.parentId && actors.has(a.parentId) ? a.parentId : a.actorId === 'bridge' ? null : 'bridge';
      const list = byParent.get(key) ?? [];
      list.push(a);
      byParent.set(key, list);
    }
    const branch = (parent) => (byParent.get(parent) ?? []).sort((a, b) => a.kind.localeCompare(b.kind) || a.actorId.localeCompare(b.actorId)).map((a) =>
      h('li', {},
        h('button', { class: 'item', 'aria-pressed': String(a.actorId === selected), 'data-actor-id': a.actorId, 'data-kind': a.kind, onclick: () => select(a.actorId) },
          h('span', { class: 'kind' }, a.kind),
          h('span', { class: `state state-${typeof a.state === 'string' ? a.state : ''}`, 'data-state': stateText(a.state) }, stateText(a.state)),
          a.status === 'active' && NEEDS_YOU.has(a.state) ? h('span', { class: 'tag warn' }, 'needs you') : null,
          a.status !== 'active' ? h('span', { class: 'tag' }, 'ended') : null,
          actorLabel(a) ? h('span', { class: 'label', 'data-label': 'true' }, actorLabel(a)) : null,
          h('span', { class: 'id' }, a.actorId === a.kind ? '' : a.actorId)),
        byParent.has(a.actorId) ? h('ul', { class: 'tree' }, branch(a.actorId)) : null));
    replace(tree, branch(null));
  };

  const renderDetail = async () => {
    const actor = actors.get(selected);
    if (!actor) return replace(detail, h('p', { class: 'muted' }, 'Select an actor.'));
    const definition = machines.get(actor.kind);
    const stateLine = h('p', {}, 'Current state: ', h('strong', { id: 'current-state' }, stateText(actor.state)), actor.status !== 'active' ? ` (${actor.status})` : '');
    const chartBox = h('div', { class: 'chart', id: 'statechart', 'data-kind': actor.kind });
    const zoomButton = (label, id, fn) => h('button', { type: 'button', id, onclick: async () => {
      const drawn = await charts.get(actor.kind);
      if (drawn?.zoom) fn(drawn);
    } }, label);
    const toolbar = h('div', { class: 'chart-tools', role: 'toolbar', 'aria-label': 'Statechart view' },
      zoomButton('Fit', 'chart-fit', (d) => d.zoom.fit()),
      zoomButton('Zoom in', 'chart-zoom-in', (d) => d.zoom.zoomIn()),
      zoomButton('Zoom out', 'chart-zoom-out', (d) => d.zoom.zoomOut()),
      zoomButton('Show current state', 'chart-current', (d) => {
        const box = d.activeBox();
        if (box) d.zoom.focus(box);
      }),
      h('span', { class: 'small muted' }, 'Scroll to zoom, drag to pan; with the chart focused: + − 0 and the arrow keys.'));
    const global = definition ? definition.transitions.filter((t) => t.source === definition.nodes[0].id && t.targets.length === 0).map((t) => t.event) : [];
    replace(detail,
      h('div', { class: 'panel' },
        h('h2', {}, `${actor.kind} `, actorLabel(actor) ? h('span', {}, `"${actorLabel(actor)}" `) : null, h('span', { class: 'muted mono small' }, actor.actorId)),
        stateLine,
        h('p', { class: 'legend' }, h('span', { class: 'swatch' }), ' current state · arrows: what moves the actor, labelled with the event · dot: where it starts · double border: final (the actor ends there) · hover a state for its description'),
        global.length ? h('p', { class: 'legend' }, `Handled in every state without moving: ${global.join(', ')}`) : null,
        toolbar,
        chartBox,
        h('h3', {}, 'Context (secrets and tokens hidden)'),
        h('pre', { class: 'context', id: 'actor-context' }, JSON.stringify(actor.context, null, 2))));
    if (!definition) return replace(chartBox, h('p', { class: 'muted' }, 'No definition for this kind of actor.'));
    let chart = charts.get(actor.kind);
    if (!chart) {
      chart = drawStatechart(definition);
      charts.set(actor.kind, chart);
    }
    try {
      const drawn = await chart;
      if (selected !== actor.actorId) return;
      chartBox.replaceChildren(drawn.svg);
      drawn.zoom ??= panZoom(drawn.svg, drawn.size);
      drawn.zoom.fit();
      drawn.highlight(actor.state);
    } catch (error) {
      replace(chartBox, problem('Statechart', error));
    }
  };

  const refreshSelected = async () => {
    const actor = actors.get(selected);
    const chart = actor ? charts.get(actor.kind) : null;
    const shown = detail.querySelector('#statechart');
    if (!actor || !chart || !shown || shown.dataset.kind !== actor.kind) return renderDetail();
    detail.querySelector('#current-state').textContent = stateText(actor.state);
    detail.querySelector('#actor-context').textContent = JSON.stringify(actor.context, null, 2);
    (await chart).highlight(actor.state);
  };

  const select = (actorId) => {
    selected = actorId;
    renderTree();
    void renderDetail();
    if (onlySelected.checked) renderLog();
  };

  const clearEnded = () => {
    for (const [id, a] of actors) if (a.status !== 'active' && id !== selected) actors.delete(id);
    renderTree();
  };

  const apply = (t) => {
    actors.set(t.actorId, { ...actors.get(t.actorId), ...t });
    const ended = [...actors.values()].filter((a) => a.status !== 'active');
    if (ended.length > MAX_ENDED) actors.delete(ended[0].actorId);
    log.unshift(t);
    if (log.length > MAX_LOG) log.pop();
    if (visible(t)) {
      logBody.querySelector('tr.empty')?.remove();
      logBody.prepend(logRow(t, true));
      while (logBody.children.length > 200) logBody.lastChild.remove();
    }
    renderTree();
    if (t.actorId === selected) void refreshSelected();
  };

  const socket = new ReconnectingSocket('/ws/v1/ui/inspector', {
    onState: (state) => (conn.textContent = state === 'open' ? 'live' : 'reconnecting…'),
    onFrame: (frame) => {
      if (frame.type === 'snapshot') {
        for (const [id, a] of actors) if (a.status === 'active') actors.delete(id);
        for (const a of frame.actors) actors.set(a.actorId, { ...a, at: Date.now(), event: '' });
        renderTree();
        void renderDetail();
      } else if (frame.type === 'transition') {
        apply(frame.transition);
      }
    },
  });
  renderLog();
  return () => socket.close();
}
