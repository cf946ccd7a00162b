import { get } from '../api.js';
import { h, replace } from '../dom.js';
import { duration, time } from '../format.js';
import { every, failure, heading, stateTag } from './common.js';
import { approvalsChoice } from './approvals-choice.js';
import { overview } from './status-overview.js';

/**
 * Status: first what needs the person, what runs, what is broken and what keeps the machine awake;
 * then the listener (configured vs. bound port, bind state and error, retry), uptime, version,
 * bus kind, live actors, and the connection log with malformed requests highlighted.
 */
export async function mount(root, ctx) {
  const facts = h('div', { class: 'grid', id: 'facts' });
  const bind = h('div', { id: 'bind' });
  const log = h('div', { id: 'connection-log' });
  const summary = overview(ctx);
  // Asked once, at first start: until the user chooses who may answer prompts.
  const choice = h('div', { id: 'approvals-choice-slot' });
  root.append(
    ...heading('Status', 'What needs you, what runs, what is broken, and who has been talking to the bridge.'),
    choice,
    bind,
    summary.el,
    h('h2', {}, 'Bridge'),
    facts,
    h('h2', {}, 'Recent connections'),
    h('p', { class: 'muted small' }, 'Handshakes, authenticated route use, WebSocket upgrades and every 4xx/5xx. Malformed requests (such as /api/v1/api/v1/…) are highlighted.'),
    log,
  );

  const showStatus = async () => {
    try {
      const status = await get('/api/v1/ui/status');
      renderFacts(facts, status);
      renderBind(bind, status, ctx);
    } catch (error) {
      renderUnreachable(bind, error, ctx);
    }
  };
  const showLog = async () => {
    try {
      const { entries, capacity } = await get('/api/v1/ui/connections?limit=200');
      renderLog(log, entries, capacity);
    } catch (error) {
      replace(log, failure(error));
    }
  };
  void get('/api/v1/ui/settings').then(
    (settings) => {
      if (settings.approvalsChosenAt === null) replace(choice, approvalsChoice());
      // Whether it asked, once known (the tests wait for it rather than for time).
      choice.dataset.asked = String(settings.approvalsChosenAt === null);
    },
    () => {}, // Unreachable: the bind panel says so.
  );
  const stopTimer = every(2000, () => {
    void showStatus();
    void showLog();
    void summary.refresh();
  });
  const ticker = setInterval(summary.tick, 1000);
  const offs = [
    ctx.feed.on('bridge.runtime.updated', () => void showStatus()),
    ctx.prompts.onChange(() => void summary.refresh()),
    ...['system.command.*', 'mcp.server.>', 'mcp.server_request.*', 'awake.*'].map((type) => ctx.feed.on(type, ({ type: t }) => {
      if (!t.endsWith('.stdout') && !t.endsWith('.stderr')) void summary.refresh();
    })),
  ];
  return () => {
    stopTimer();
    clearInterval(ticker);
    for (const off of offs) off();
  };
}

function fact(label, value, id) {
  return h('dl', { class: 'fact', 'data-fact': id }, h('dt', {}, label), h('dd', {}, value));
}

/** Live actors by kind, one per line: names never break mid-word. */
function actorList(actors) {
  const entries = Object.entries(actors).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return '—';
  return h('ul', { class: 'actor-counts' }, entries.map(([kind, n]) => h('li', {}, h('span', { class: 'kind' }, kind), ' ', h('span', { class: 'num' }, String(n)))));
}

function renderFacts(el, s) {
  replace(
    el,
    fact('Configured port', String(s.configuredPort), 'configured-port'),
    fact('Bound port', s.activePort === null ? 'not bound' : `127.0.0.1:${s.activePort}`, 'active-port'),
    fact('Bind state', stateTag(s.bindState), 'bind-state'),
    fact('Uptime', duration(s.uptimeMs), 'uptime'),
    fact('Version', s.version, 'version'),
    fact('Bus', s.bus === 'nats' ? 'NATS server' : 'embedded (in-process)', 'bus'),
    fact('Tray mode', s.trayMode ? 'on' : 'off', 'tray'),
    fact('Live actors', actorList(s.actors), 'actors'),
  );
}

function renderBind(el, s, ctx) {
  // Re-rendered only on change, so a retry's outcome message stays readable.
  const key = s.bindState === 'bind_failed' ? `${s.configuredPort}:${s.bindError}` : '';
  if (el.dataset.key === key) return;
  el.dataset.key = key;
  if (!key) return replace(el);
  replace(el, bindFailed(s.configuredPort, s.bindError, ctx));
}

function bindFailed(port, message, ctx) {
  const canRetry = Boolean(ctx.shell?.retryBind);
  const result = h('p', { role: 'status' });
  return h('div', { class: 'notice bad', role: 'alert', id: 'bind-error' },
    h('strong', {}, `Port ${port} could not be bound.`),
    message ? h('p', { class: 'mono' }, message) : null,
    h('p', {}, 'The bridge never picks another port. Free the port (or change it in Settings, applied on restart), then retry the same port.'),
    canRetry
      ? h('button', {
          class: 'primary',
          id: 'retry-bind',
          onclick: async (event) => {
            // Taken now: `currentTarget` is null once the handler awaits.
            const button = event.currentTarget;
            button.disabled = true;
            result.textContent = 'Retrying the same port…';
            const outcome = await ctx.shell.retryBind();
            result.textContent = outcome.message;
            button.disabled = false;
          },
        }, `Retry port ${port}`)
      : h('p', {}, 'To retry, run ', h('code', {}, 'osloop-bridge open-url osloop://ensure-server'), '.'),
    result,
  );
}

function renderUnreachable(el, error, ctx) {
  // Drawn once per kind of failure, not at every poll: a retry's outcome must stay readable.
  const key = error.code === 'unreachable' ? 'unreachable' : `failed:${error.code}`;
  if (el.dataset.key === key) return;
  el.dataset.key = key;
  if (error.code !== 'unreachable') return replace(el, failure(error));
  const port = ctx.shell?.bridgePort ?? (Number(new URL(document.baseURI).port) || 47832);
  replace(el, bindFailed(port, 'No bridge answers on this port (it is stopped, or could not bind).', ctx));
}

function renderLog(el, entries, capacity) {
  if (entries.length === 0) return replace(el, h('p', { class: 'muted' }, 'No connections yet.'));
  const rows = entries.map((e) =>
    h('tr', { class: [e.malformed ? 'malformed' : '', e.status >= 400 ? 'failure' : ''].join(' ').trim() || undefined, 'data-id': e.id },
      h('td', {}, time(e.at)),
      h('td', {}, e.kind.replace('_', ' ')),
      h('td', { class: 'mono' }, e.method),
      h('td', { class: 'mono' }, e.path,
        e.malformed ? h('div', {}, h('span', { class: 'tag warn' }, '⚠ malformed path'), e.hint ? h('span', { class: 'small' }, ` did you mean ${e.hint}?`) : null) : null),
      h('td', { class: 'status' }, String(e.status)),
      h('td', {}, e.errorCode ?? ''),
      h('td', { class: 'small' }, e.origin ?? '—'),
      h('td', { class: 'small mono' }, e.sessionId ?? ''),
    ),
  );
  replace(el,
    h('div', { class: 'table-wrap' },
      h('table', { 'aria-label': 'Connection log' },
        h('thead', {}, h('tr', {}, ['Time', 'Kind', 'Method', 'Path', 'Status', 'Error', 'Origin', 'Session'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, rows))),
    h('p', { class: 'muted small' }, `Newest first; the bridge keeps the last ${capacity}.`));
}
