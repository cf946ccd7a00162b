import { del, get } from '../api.js';
import { h, replace, toast } from '../dom.js';
import { dateTime, visible } from '../format.js';
import { heading, problem, serialLoader } from './common.js';

/** Rules: the whitelist, with when each rule was made, last used and how often; revoke. */
export async function mount(root, ctx) {
  const body = h('div', { id: 'rules' });
  root.append(...heading('Rules', 'Commands that run without asking, because you chose "Allow and whitelist". Revoke a rule and the next identical request asks again.'), body);

  const load = serialLoader(async () => {
    try {
      const { rules } = await get('/api/v1/system/permissions/commands');
      render(body, rules, load);
    } catch (error) {
      replace(body, problem('Whitelist rules', error));
    }
  });
  // Subscribed before the first load, so that no change falls between the list and the events.
  const off = ctx.feed.on('permission.whitelist.updated', () => void load());
  await load();
  return off;
}

function render(el, rules, reload) {
  if (rules.length === 0) return replace(el, h('p', { class: 'muted' }, 'No rules: every command asks first.'));
  replace(el, h('div', { class: 'table-wrap' }, h('table', { 'aria-label': 'Whitelist rules' },
    h('thead', {}, h('tr', {}, ['Rule', 'Shell', 'Created', 'Last used', 'Uses', ''].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rules.map((rule) => {
      const text = visible([rule.executable, ...rule.args].join(' ')) + (rule.anyFurtherArgs ? ' *' : '');
      return h('tr', { 'data-rule-id': rule.ruleId },
        h('td', {}, h('code', {}, text), h('div', { class: 'small muted' }, rule.anyFurtherArgs ? 'and any further arguments' : 'exactly these arguments'), h('div', { class: 'small muted', 'data-rule-scope': '' }, scopeText(rule))),
        h('td', {}, rule.shell ? 'yes' : 'no'),
        h('td', {}, dateTime(rule.createdAt)),
        h('td', {}, rule.lastUsedAt ? dateTime(rule.lastUsedAt) : 'never'),
        h('td', {}, String(rule.useCount)),
        h('td', {}, h('button', {
          class: 'danger',
          'aria-label': `Revoke rule ${text}`,
          onclick: async (event) => {
            if (!confirm(`Revoke the rule "${text}"? The next matching request will ask again.`)) return;
            event.currentTarget.disabled = true;
            try {
              await del(`/api/v1/system/permissions/commands/${encodeURIComponent(rule.ruleId)}`);
              toast(`Rule revoked: ${text}`);
            } catch (error) {
              toast(`${error.code}: ${error.message}`, { bad: true });
            }
            await reload();
          },
        }, 'Revoke')),
      );
    })))));
}

/** Everything else the rule pins, and where it applies: its origin, and one skill or all of them. */
function scopeText(rule) {
  const env = Object.entries(rule.env ?? {});
  return [
    rule.cwd ? `in ${visible(rule.cwd)}` : 'in the home directory',
    env.length ? `with ${env.map(([k, v]) => `${visible(k)}=${visible(v)}`).join(' ')}` : 'with no added variables',
    rule.stdin !== null && rule.stdin !== undefined ? `with input ${visible(rule.stdin)}` : null,
    `for ${rule.scope?.origin ? visible(rule.scope.origin) : 'the local UI'}`,
    rule.scope?.skillId ? `skill ${visible(rule.scope.skillId)} only` : 'every skill',
  ].filter(Boolean).join(' · ');
}
