import { post } from '../api.js';
import { h, toast } from '../dom.js';
import { principal, time, visible, countdown as countdownText } from '../format.js';
import { commandText, provenanceText } from '../run-text.js';
import { approvalsQueue } from './approvals-queue.js';
import { heading } from './common.js';

/**
 * Approvals: every pending prompt with what would run (template fields only), who asked and why,
 * a countdown to expiry, and the three answers. "Allow and whitelist" shows the rule that would be
 * saved and what it would match; installs never offer it.
 */
export async function mount(root, ctx) {
  const queue = approvalsQueue(ctx, (prompt) => promptCard(prompt, ctx));
  root.append(
    ...heading('Approvals', 'Agents asking to run something on this computer. Nothing runs until you answer; unanswered prompts are rejected when their time runs out.'),
    h('p', { class: 'keys' }, 'Keyboard: ', h('kbd', {}, 'Tab'), ' moves to "Allow once", then "Reject"; ', h('kbd', {}, 'Enter'), ' answers. After an answer, focus moves to the next prompt.'),
    queue.el,
  );
  return () => queue.stop();
}

/**
 * A command line, escaped and never truncated: a prompt's as the bridge computed it for display
 * (`shown`), or an install step's `{ command, args }`.
 */
function commandLine(source) {
  const shown = source.shown ?? (source.template ? { command: source.template.command, args: source.template.args ?? [] } : source);
  return h('div', { class: 'cmdline mono', 'aria-label': 'Command and arguments' },
    h('span', { class: 'arg exe' }, visible(shown.command)),
    (shown.args ?? []).map((arg) => h('span', { class: 'arg' }, visible(arg))));
}

/** What deserves attention (hidden characters, risky variables and options, unread lines), in plain words. */
function flagList(prompt) {
  const flags = prompt.flags ?? [];
  if (flags.length === 0) return null;
  return h('ul', { class: 'flags', 'aria-label': 'Warnings' }, flags.map((flag) =>
    h('li', { class: 'flag', 'data-flag': flag.code }, h('strong', {}, '⚠ '), flag.field ? h('code', {}, visible(flag.field)) : null, flag.field ? ' ' : null, visible(flag.message))));
}

/** What a rule saved from this prompt would match, for "first N arguments" choices. */
export function ruleDescription(rule, prefix) {
  const args = rule.args ?? [];
  const kept = prefix === null ? args : args.slice(0, prefix);
  const shown = visible([rule.executable, ...kept].join(' '));
  return prefix === null
    ? { rule: shown, matches: `exactly "${shown}" and nothing else` }
    : { rule: `${shown} *`, matches: `"${shown}" followed by any further arguments (or none)` };
}

function details(prompt) {
  const d = prompt.details ?? {};
  const shown = prompt.shown ?? null;
  const kind = prompt.kind === 'mcp_server' ? `${d.url ? 'connect to' : 'start'} the MCP server "${visible(d.serverName ?? prompt.subjectId)}"` : prompt.kind === 'install' ? `install ${visible(d.tool ?? 'a tool')}` : 'run a command';
  const rows = [['Asks to', kind], ['Asked by', visible(principal(prompt.requestedBy))]];
  const provenance = provenanceText(prompt.context);
  if (provenance) rows.push(['For', provenance]);
  rows.push(['Why', visible(prompt.reason ?? '—')]);
  if (d.url) {
    rows.push(['URL', visible(d.url)], ['Headers sent', (d.headerNames ?? []).map(visible).join(', ') || 'none']);
  } else {
    rows.push(['Working directory', visible(shown?.cwd ?? prompt.cwd ?? prompt.template?.cwd ?? 'home directory')]);
    const env = shown?.env ?? Object.entries(prompt.template?.env ?? {}).map(([name, value]) => ({ name, value }));
    if (env.length) rows.push(['Environment', env.map(({ name, value }) => `${visible(name)}=${visible(value)}`).join('\n')]);
    const stdin = shown ? shown.stdin : prompt.template?.stdin;
    if (stdin !== null && stdin !== undefined) rows.push(['Standard input', visible(stdin)]);
    rows.push(['Through a shell', prompt.shell ? 'yes: the command line is interpreted by your shell' : 'no']);
    if (prompt.commandsFound) rows.push(['Commands it runs', prompt.commandsFound.map(visible).join(', ')]);
  }
  if (prompt.kind === 'install' && d.packageManager) rows.push(['Installed with', `${visible(d.packageManager)}${d.requiresElevation ? ' (needs administrator rights)' : ''}`]);
  rows.push(['Asked at', time(prompt.createdAt)]);
  const mono = new Set(['Environment', 'Standard input', 'URL', 'Commands it runs']);
  return h('dl', { class: 'kv' }, rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', { class: mono.has(k) ? 'mono' : undefined, 'data-field': k }, v)]));
}

function promptCard(prompt, ctx) {
  const countdown = h('span', { class: 'countdown countdown-big', role: 'timer', 'aria-live': 'off' });
  const bar = h('span', {});
  const total = Math.max(1, Date.parse(prompt.expiresAt) - Date.parse(prompt.createdAt));
  const status = h('p', { role: 'status', class: 'small' });
  const buttons = [];
  const resolve = async (decision, extra = {}) => {
    for (const b of buttons) b.disabled = true;
    status.textContent = 'Sending…';
    try {
      const reply = await post(`/api/v1/system/permissions/prompts/${encodeURIComponent(prompt.promptId)}/resolve`, { decision, ...extra });
      toast(`${prompt.title}: ${reply.state.replace(/_/g, ' ')}`);
      ctx.prompts.pending.delete(prompt.promptId);
      ctx.prompts.changed();
    } catch (error) {
      status.textContent = error.code === 'conflict' ? 'Already answered elsewhere.' : error.unavailable ? 'Resolving prompts is not available on this bridge yet.' : `${error.code}: ${error.message}`;
      for (const b of buttons) b.disabled = false;
    }
  };

  let rulePreview = null;
  const proposed = prompt.proposedRule ?? (prompt.template ? { executable: prompt.template.command, args: prompt.template.args ?? [], shell: prompt.shell } : null);
  if (prompt.whitelistAllowed && proposed) {
    const args = proposed.args;
    // Prefix rules only where the bridge offers them (never for shells, interpreters, wrappers or
    // tools whose options run code or write files), and only with their warning and examples.
    const offer = prompt.prefixRule ?? { allowed: false, refusedBecause: null, warning: null, examples: [] };
    const select = h('select', { id: `scope-${prompt.promptId}`, 'aria-label': 'Rule scope' },
      h('option', { value: 'exact' }, 'exactly these arguments'),
      offer.allowed ? args.map((_, i) => h('option', { value: String(i) }, i === 0 ? 'this command with any arguments' : `the first ${i} argument${i > 1 ? 's' : ''}, then anything`)) : null);
    const prefixNote = offer.allowed
      ? h('p', { class: 'small warning', hidden: true }, visible(offer.warning ?? ''), ' It would also allow, for example: ', offer.examples.map((e, i) => [i ? ', ' : '', h('code', {}, visible(e))]))
      : offer.refusedBecause ? h('p', { class: 'small muted' }, visible(offer.refusedBecause)) : null;
    const skill = prompt.context?.skillId;
    const skillScope = skill
      ? h('select', { id: `skill-${prompt.promptId}`, 'aria-label': 'Which skills the rule covers' },
        h('option', { value: 'skill' }, `only for skill ${visible(skill)}`),
        h('option', { value: 'origin' }, 'for every skill of this web app'))
      : null;
    const ruleText = h('code', { class: 'rule' });
    const matchText = h('span', { class: 'small' });
    const update = () => {
      if (prefixNote && offer.allowed) prefixNote.hidden = select.value === 'exact';
      const d = ruleDescription(proposed, select.value === 'exact' ? null : Number(select.value));
      ruleText.textContent = d.rule;
      const extras = [proposed.cwd ? `in ${visible(proposed.cwd)}` : 'in your home directory', Object.keys(proposed.env ?? {}).length ? 'with exactly these variables' : 'with no added variables', proposed.stdin !== null && proposed.stdin !== undefined ? 'with exactly this input' : null].filter(Boolean).join(', ');
      matchText.textContent = ` — would allow ${d.matches}${proposed.shell ? ' through the shell' : ''}, ${extras}, from this web app only, without asking again.`;
    };
    select.addEventListener('change', update);
    update();
    rulePreview = {
      el: h('div', { class: 'rule-preview' }, h('label', { for: `scope-${prompt.promptId}` }, 'Rule to save: '), select, skillScope ? [' ', skillScope] : null, h('div', {}, ruleText, matchText), prefixNote,
        h('p', { class: 'small muted' }, 'Rules match what the agent wrote (before secrets were filled in), never resolved values. Revoke them on the Rules page.')),
      prefix: () => (select.value === 'exact' ? undefined : Number(select.value)),
      scope: () => skillScope?.value ?? undefined,
    };
  }

  const allowOnce = h('button', { class: 'primary', 'data-action': 'allow_once', onclick: () => resolve('allow_once') }, 'Allow once');
  const reject = h('button', { class: 'danger', 'data-action': 'reject', onclick: () => resolve('reject') }, 'Reject');
  // "Allow and whitelist" sits with the rule it saves, after the two plain answers.
  buttons.push(allowOnce, reject);
  let whitelist = null;
  if (rulePreview) {
    whitelist = h('button', {
      'data-action': 'allow_and_whitelist',
      onclick: () => {
        const prefix = rulePreview.prefix();
        const scope = rulePreview.scope();
        resolve('allow_and_whitelist', { ...(prefix === undefined ? {} : { ruleArgsPrefix: prefix }), ...(scope ? { ruleScope: scope } : {}) });
      },
    }, 'Allow and whitelist');
    buttons.push(whitelist);
  }

  const steps = prompt.details?.steps;
  const what = prompt.kind === 'install' && steps?.length
    // One approval covers every step of the install, exactly as listed, and nothing else.
    ? [h('p', { class: 'small muted' }, `Every step of installing ${visible(prompt.details.tool ?? 'the tool')}, in order. Allowing it runs exactly these and nothing else:`), h('ol', { class: 'mono small' }, steps.map((step) => h('li', {}, commandLine(step), step.description ? h('span', { class: 'muted' }, ` — ${visible(step.description)}`) : null)))]
    : commandLine(prompt);

  // What runs is the heading; the agent's own title is only a claim about it.
  const card = h('article', { class: 'panel prompt', 'data-prompt-id': prompt.promptId, 'aria-labelledby': `title-${prompt.promptId}` },
    h('header', {},
      h('div', {},
        h('h2', { id: `title-${prompt.promptId}`, class: 'mono what' }, prompt.kind === 'install' && steps?.length > 1 ? `${steps.length} steps, the first: ${commandText(prompt.template, prompt.shell)}` : prompt.template ? commandText(prompt.template, prompt.shell) : prompt.title),
        h('p', { class: 'claim' }, `The agent calls it "${visible(prompt.title)}".`)),
      h('div', { class: 'countdown-box' }, h('div', { class: 'small muted' }, 'expires in'), countdown, h('div', { class: 'countdown-bar', 'aria-hidden': 'true' }, bar))),
    h('h3', {}, 'What would run'),
    what,
    flagList(prompt),
    details(prompt),
    prompt.kind === 'install' ? h('p', { class: 'small muted' }, 'Installs always ask: they can never be whitelisted.') : null,
    h('div', { class: 'actions' }, allowOnce, reject),
    rulePreview ? h('div', { class: 'whitelist' }, rulePreview.el, h('div', { class: 'actions' }, whitelist)) : null,
    status,
  );
  card.tick = () => {
    const ms = Date.parse(prompt.expiresAt) - Date.now();
    const left = Math.max(0, Math.round(ms / 1000));
    countdown.textContent = countdownText(ms);
    countdown.classList.toggle('soon', left <= 10);
    // The bar's width is the one style set from script, through the CSSOM (allowed by the CSP).
    bar.style.width = `${Math.max(0, Math.min(100, (ms / total) * 100))}%`;
  };
  card.tick();
  return card;
}

