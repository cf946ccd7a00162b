import { get } from '../api.js';
import { h, replace } from '../dom.js';
import { countdown, duration } from '../format.js';
import { commandText, failureReason, runTitle } from '../run-text.js';
import { stateTag } from './common.js';

/** Runs that hold (or are about to hold) a process; those awaiting permission are under "Needs you". */
const LIVE_STATES = 'queued,starting,running';
const BROKEN_STATES = 'failed,timed_out,interrupted';
/** Failed runs older than this no longer count as "broken now". */
const RECENT_FAILURE_MS = 60 * 60 * 1000;

/**
 * The overview's four questions, answered at a glance like pm2's table or Docker Desktop's list:
 * what needs me (prompts, and what MCP servers ask that only I may answer), what runs, what is
 * broken (failed MCP servers and recent failed runs, a failed awake inhibitor), and what keeps the
 * machine awake. Each card is read from the route that owns the facts; a capability this bridge
 * lacks leaves its card saying so.
 */
export function overview(ctx) {
  const cards = {
    needs: card('needs-you', 'Needs you'),
    running: card('running', 'Running now'),
    broken: card('broken', 'Broken'),
    awake: card('keeping-awake', 'Keeping the computer awake'),
  };
  const el = h('section', { class: 'overview', 'aria-label': 'Overview' }, Object.values(cards).map((c) => c.el));
  let live = [];

  const refresh = async () => {
    const [liveRuns, failedRuns, servers, awake, asking] = await Promise.all([
      settle(get(`/api/v1/system/commands/runs?state=${LIVE_STATES}&limit=50`)),
      settle(get(`/api/v1/system/commands/runs?state=${BROKEN_STATES}&limit=20`)),
      settle(get('/api/v1/mcp/servers')),
      settle(get('/api/v1/awake/status')),
      settle(get('/api/v1/mcp/server-requests')),
    ]);
    live = liveRuns.ok ? liveRuns.value.runs : [];
    renderNeeds(cards.needs, ctx.prompts.list(), servers, asking.ok ? asking.value.requests : []);
    renderRunning(cards.running, liveRuns);
    renderBroken(cards.broken, failedRuns, servers, awake);
    renderAwake(cards.awake, awake);
  };
  // Durations of live runs tick every second, between refreshes.
  const tick = () => {
    for (const run of live) {
      const cell = el.querySelector(`[data-duration-of="${CSS.escape(run.runId)}"]`);
      if (cell && run.startedAt) cell.textContent = duration(Date.now() - Date.parse(run.startedAt));
    }
  };
  return { el, refresh, tick };
}

function card(id, title) {
  const body = h('div', { class: 'card-body' });
  const count = h('span', { class: 'count', 'data-count': id });
  const el = h('article', { class: 'panel card', id, 'aria-labelledby': `${id}-title` }, h('h2', { id: `${id}-title` }, title, ' ', count), body);
  return { el, body, count, set(n, tone) {
    count.textContent = String(n);
    el.dataset.tone = n > 0 ? tone : 'quiet';
  } };
}

async function settle(promise) {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

const unavailableLine = (result, what) =>
  h('p', { class: 'muted small' }, result.error?.unavailable ? `${what}: not available on this bridge.` : `${what} could not be read: ${result.error?.message}`);

function renderNeeds(c, prompts, servers, serverRequests) {
  const waitingServers = servers.ok ? servers.value.servers.filter((s) => s.state === 'awaiting_permission') : [];
  // Only the person can answer these: several web apps were calling the server when it asked.
  const onlyYou = serverRequests.filter((r) => r.visibleTo === 'ui_only');
  const asking = onlyYou.length
    ? h('p', { 'data-needs': 'server-requests' }, h('a', { href: '#mcp' }, `${onlyYou.length} MCP server ${onlyYou.length === 1 ? 'request' : 'requests'} only you can answer`))
    : null;
  c.set(prompts.length + onlyYou.length, 'attention');
  if (prompts.length === 0) return replace(c.body, asking ?? h('p', { class: 'muted' }, 'Nothing is waiting for you.'));
  replace(c.body, asking,
    h('ul', { class: 'rows' }, prompts.slice(0, 5).map((p) => h('li', {},
      h('a', { href: `#approvals?prompt=${encodeURIComponent(p.promptId)}` }, h('code', {}, commandText(p.template))),
      h('span', { class: 'small muted' }, ` expires in ${countdown(Date.parse(p.expiresAt) - Date.now())}`)))),
    prompts.length > 5 ? h('p', { class: 'small' }, `and ${prompts.length - 5} more`) : null,
    waitingServers.length ? h('p', { class: 'small muted' }, `${waitingServers.length} of them start an MCP server.`) : null,
    h('p', {}, h('a', { class: 'button primary', href: '#approvals' }, `Answer ${prompts.length === 1 ? 'it' : `all ${prompts.length}`}`)));
}

function renderRunning(c, result) {
  if (!result.ok) return (c.set(0, 'quiet'), replace(c.body, unavailableLine(result, 'Runs')));
  const runs = result.value.runs;
  c.set(runs.length, 'busy');
  if (runs.length === 0) return replace(c.body, h('p', { class: 'muted' }, 'Nothing is running.'));
  replace(c.body, h('table', { class: 'compact', 'aria-label': 'Running now' },
    h('thead', {}, h('tr', {}, ['What', 'State', 'For'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, runs.map((run) => h('tr', {},
      h('td', {}, h('a', { href: `#runs?run=${encodeURIComponent(run.runId)}` }, runTitle(run))),
      h('td', {}, stateTag(run.state)),
      h('td', { class: 'num', 'data-duration-of': run.runId }, run.startedAt ? duration(Date.now() - Date.parse(run.startedAt)) : '—'))))));
}

function renderBroken(c, failed, servers, awake) {
  const items = [];
  if (servers.ok) {
    for (const s of servers.value.servers.filter((x) => x.state === 'failed')) {
      items.push(h('li', { 'data-broken': 'mcp' }, h('a', { href: `#mcp?server=${encodeURIComponent(s.serverId)}` }, `MCP server "${s.name}"`), ' failed',
        s.lastError ? h('div', { class: 'small reason' }, s.lastError) : null));
    }
  }
  if (failed.ok) {
    const recent = failed.value.runs.filter((r) => Date.now() - Date.parse(r.endedAt ?? r.createdAt) < RECENT_FAILURE_MS);
    for (const run of recent) {
      items.push(h('li', { 'data-broken': 'run' }, h('a', { href: `#runs?run=${encodeURIComponent(run.runId)}` }, runTitle(run)), ' ', stateTag(run.state),
        h('div', { class: 'small reason' }, failureReason(run)?.text ?? '')));
    }
  }
  if (awake.ok && awake.value.inhibitor.state === 'failed') {
    items.push(h('li', { 'data-broken': 'awake' }, h('a', { href: '#awake' }, 'Sleep prevention'), ' failed', h('div', { class: 'small reason' }, awake.value.reason ?? '')));
  }
  c.set(items.length, 'bad');
  replace(c.body, items.length ? h('ul', { class: 'rows' }, items) : h('p', { class: 'muted' }, 'Nothing is broken.'),
    failed.ok || servers.ok ? null : unavailableLine(failed, 'Runs and MCP servers'));
}

function renderAwake(c, result) {
  if (!result.ok) return (c.set(0, 'quiet'), replace(c.body, unavailableLine(result, 'Sleep prevention')));
  const { locks, supported, reason } = result.value;
  c.set(locks.length, 'busy');
  if (!supported) return replace(c.body, h('p', { class: 'muted' }, `Sleep prevention does not work here: ${reason ?? 'no inhibitor'}.`));
  if (locks.length === 0) return replace(c.body, h('p', { class: 'muted' }, 'Nothing keeps it awake.'));
  replace(c.body, h('ul', { class: 'rows' }, locks.map((l) => h('li', {},
    l.reason, ' ',
    l.runId ? h('a', { class: 'small', href: `#runs?run=${encodeURIComponent(l.runId)}` }, 'until the run ends') : h('span', { class: 'small muted' }, l.expiresAt ? `until ${new Date(l.expiresAt).toLocaleTimeString()}` : 'until released')))),
    h('p', {}, h('a', { href: '#awake' }, 'Manage locks')));
}
