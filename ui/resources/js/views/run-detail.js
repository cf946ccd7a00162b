import { get, post } from '../api.js';
import { h, replace, toast } from '../dom.js';
import { bytes, duration, principal, time } from '../format.js';
import { runTerminal } from '../run-output.js';
import { LIVE_RUN_STATES as LIVE } from '../run-state.js';
import { commandText, decidedBy, failureReason, shellQuote } from '../run-text.js';
import { stateTag } from './common.js';

const decisions = new Map();

/**
 * The recorded decision of a run, from the audit. The audit is paged newest first, so a recent
 * decision is found on the first page; older ones are searched a few pages deep.
 */
export async function decisionFor(decisionId) {
  if (!decisionId) return null;
  if (decisions.has(decisionId)) return decisions.get(decisionId);
  let cursor = null;
  for (let page = 0; page < 5; page++) {
    const reply = await get(`/api/v1/ui/decisions?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    for (const d of reply.decisions) decisions.set(d.decisionId, d);
    if (decisions.has(decisionId) || !reply.nextCursor) break;
    cursor = reply.nextCursor;
  }
  return decisions.get(decisionId) ?? null;
}

/**
 * One run in detail. The heading is what runs (quoted as a shell needs it); the agent's title is
 * a quoted claim under it. A run that ended badly says why in words, first, with the code beside
 * it; every run says who decided it. Duration and byte counts tick while it runs.
 */
export function showRun(el, run) {
  const heading = h('h2', { class: 'mono what', id: 'run-heading' });
  const claim = h('p', { class: 'claim', id: 'run-claim' });
  const reason = h('div', { id: 'failure-reason', class: 'failure-reason', role: 'status' });
  const decided = h('p', { id: 'decided-by', class: 'decided' });
  const facts = h('dl', { class: 'kv' });
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
  const output = runTerminal(run);
  const live = { stdout: run.stdoutBytes ?? 0, stderr: run.stderrBytes ?? 0 };
  let current = run;

  const fact = (k, v, id) => [h('dt', {}, k), h('dd', { 'data-fact': id }, v)];
  const elapsed = (r) => (r.startedAt && !r.endedAt && LIVE.has(r.state) ? Date.now() - Date.parse(r.startedAt) : r.durationMs);
  const showFacts = (r) => {
    replace(facts,
      fact('Arguments', h('ol', { class: 'args mono', start: '0' }, [r.template.command, ...r.template.args].map((a) => h('li', {}, shellQuote(a)))), 'args'),
      fact('Directory', r.template.cwd ?? 'home directory', 'cwd'),
      fact('Through a shell', r.shell ? 'yes' : 'no', 'shell'),
      fact('Asked by', principal(r.requestedBy), 'asked-by'),
      fact('Why (the agent\'s words)', r.reason ?? '—', 'why'),
      fact('Asked at', time(r.createdAt), 'created'),
      fact('Started', time(r.startedAt), 'started'),
      fact('Duration', duration(elapsed(r)), 'duration'),
      fact('Exit', r.exitCode !== null && r.exitCode !== undefined ? `code ${r.exitCode}` : r.signal ?? '—', 'exit'),
      fact('Output', `${bytes(Math.max(live.stdout, r.stdoutBytes ?? 0))} stdout, ${bytes(Math.max(live.stderr, r.stderrBytes ?? 0))} stderr${r.partialOutput ? ' (partial: buffer full)' : ''}`, 'bytes'));
  };
  const showDecision = async (r) => {
    if (!r.decisionId) {
      replace(decided, r.state === 'awaiting_permission' ? 'Waiting for a decision. ' : 'No decision recorded yet.',
        r.state === 'awaiting_permission' && r.promptId ? h('a', { href: `#approvals?prompt=${encodeURIComponent(r.promptId)}` }, 'Answer the prompt') : null);
      decided.dataset.who = 'none';
      return;
    }
    try {
      const who = decidedBy(await decisionFor(r.decisionId));
      decided.dataset.who = who.who;
      replace(decided, h('strong', {}, 'Decided: '), who.text, who.ruleId ? [' (', h('a', { href: '#rules' }, 'see the rule'), ')'] : null);
    } catch (error) {
      replace(decided, `Who decided is unknown here (${error.code ?? error.message}).`);
    }
  };
  const update = (r) => {
    current = r;
    replace(heading, commandText(r.template, r.shell), ' ', stateTag(r.state));
    replace(claim, r.title ? `The agent calls it "${r.title}".` : '');
    const failed = failureReason(r);
    reason.hidden = !failed;
    if (failed) {
      reason.className = `failure-reason notice ${r.state === 'terminated' ? 'warn' : 'bad'}`;
      replace(reason, h('strong', {}, failed.text), failed.code ? h('span', { class: 'tag', 'data-code': failed.code }, failed.code) : null);
    }
    showFacts(r);
    void showDecision(r);
    terminate.hidden = !LIVE.has(r.state);
  };
  update(run);
  replace(el, h('div', { class: 'panel' }, heading, claim, reason, decided, facts, h('div', { class: 'actions' }, terminate)), h('h3', {}, 'Output'), output.el);
  output.load(run);
  const ticker = setInterval(() => {
    if (LIVE.has(current.state)) el.querySelector('[data-fact="duration"]')?.replaceChildren(duration(elapsed(current)));
  }, 1000);

  return {
    update,
    append: (stream, chunk) => {
      output.append(stream, chunk);
      live[stream] = Math.max(live[stream], chunk.offset + chunk.bytes);
      showFacts(current);
    },
    stop: () => clearInterval(ticker),
  };
}
