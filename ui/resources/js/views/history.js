import { get } from '../api.js';
import { h, replace } from '../dom.js';
import { dateTime } from '../format.js';
import { commandText, decidedBy, provenanceText } from '../run-text.js';
import { heading, problem, serialLoader } from './common.js';

const PAGE = 100;

/**
 * Decision history, on top of the bridge's audit (`ui.decisions`, kept across restarts): every
 * allow and reject, what it was about, and who decided: you here, the web app, a rule, the deny
 * list, or a timeout.
 */
export async function mount(root, ctx) {
  const body = h('div', { id: 'decisions' });
  const more = h('button', { id: 'more-decisions', hidden: true }, 'Older decisions');
  root.append(...heading('History', 'Every permission decision, newest first, and who made it.'), body, h('div', { class: 'actions' }, more));
  const decisions = [];
  const runs = new Map();
  let cursor = null;

  const loadRuns = async () => {
    try {
      for (const run of (await get('/api/v1/system/commands/runs?limit=500')).runs) runs.set(run.runId, run);
    } catch {
      // Without the runs capability, decisions still list by their ids.
    }
  };
  const load = async (append) => {
    try {
      const reply = await get(`/api/v1/ui/decisions?limit=${PAGE}${append && cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      if (!append) decisions.length = 0;
      decisions.push(...reply.decisions);
      cursor = reply.nextCursor;
      more.hidden = !cursor;
      render(body, decisions, runs);
    } catch (error) {
      replace(body, problem('Decision history', error));
    }
  };
  more.addEventListener('click', () => void load(true));
  const refresh = serialLoader(async () => {
    await loadRuns();
    await load(false);
  });
  // Subscribed before the first load, so that no decision falls between the page and the events.
  const off = ctx.feed.on('permission.decision.recorded', () => void refresh());
  await refresh();
  return off;
}

function subject(decision, runs) {
  const { kind, id } = decision.subject;
  const run = runs.get(id);
  // The audit keeps which skill and task asked; it is shown with what they asked for.
  const provenance = provenanceText(decision.context);
  const asked = provenance ? h('div', { class: 'small muted provenance' }, `for ${provenance}`) : null;
  if (run) return [h('a', { href: `#runs?run=${encodeURIComponent(id)}` }, h('code', {}, commandText(run.template, run.shell))), asked];
  const words = { command: 'command', install: 'install', mcp_server: 'MCP server' }[kind] ?? kind;
  return [h('span', {}, `${words} `, h('code', { class: 'small' }, id)), asked];
}

function render(el, decisions, runs) {
  if (decisions.length === 0) return replace(el, h('p', { class: 'muted' }, 'No decisions yet.'));
  replace(el, h('div', { class: 'table-wrap' }, h('table', { 'aria-label': 'Decision history' },
    h('thead', {}, h('tr', {}, ['When', 'What', 'Outcome', 'Who decided'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, decisions.map((d) => {
      const who = decidedBy(d);
      return h('tr', { 'data-decision-id': d.decisionId, 'data-decided-by': who.who },
        h('td', {}, dateTime(d.at)),
        h('td', {}, subject(d, runs)),
        h('td', {}, h('span', { class: `state state-${d.outcome === 'allowed' ? 'completed' : 'rejected'}` }, d.outcome)),
        h('td', {}, who.text, who.ruleId ? [' ', h('a', { href: '#rules', class: 'small' }, 'see rules')] : null));
    })))));
}
