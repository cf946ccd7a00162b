import { post } from '../api.js';
import { h } from '../dom.js';

/**
 * "Try a tool": call one tool of a connected server with JSON arguments and see its result as the
 * server returned it. A tool error (`isError`) is a result, shown as such; a bridge error says its code.
 */
export function tryToolForm(server, tools, open) {
  const id = `try-${server.serverId}`;
  const select = h('select', { id: `${id}-tool` }, tools.map((t) => h('option', { value: t.name }, t.name)));
  const args = h('textarea', { id: `${id}-args`, rows: '3', spellcheck: 'false' });
  args.value = '{}';
  const hint = h('div', { class: 'hint', id: `${id}-schema` });
  const result = h('pre', { class: 'context', id: `${id}-result`, role: 'status', hidden: true });
  const error = h('div', { class: 'error', id: `${id}-error`, role: 'alert' });
  const showSchema = () => {
    const tool = tools.find((t) => t.name === select.value);
    const props = Object.keys(tool?.inputSchema?.properties ?? {});
    hint.textContent = props.length ? `Arguments it takes: ${props.join(', ')}` : 'It takes no arguments.';
  };
  select.addEventListener('change', showSchema);
  showSchema();
  const form = h('form', {
    onsubmit: async (event) => {
      event.preventDefault();
      error.textContent = '';
      let parsed;
      try {
        parsed = JSON.parse(args.value || '{}');
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('must be a JSON object');
      } catch (e) {
        error.textContent = `Arguments: ${e.message}`;
        return;
      }
      const button = form.querySelector('button');
      button.disabled = true;
      result.hidden = false;
      result.textContent = 'Calling…';
      try {
        const reply = await post('/api/v1/mcp/call', { serverId: server.serverId, tool: select.value, arguments: parsed });
        result.dataset.isError = String(Boolean(reply.isError));
        result.textContent = `${reply.isError ? 'The tool reported an error:\n' : ''}${JSON.stringify(reply, null, 2)}`;
      } catch (e) {
        result.hidden = true;
        error.textContent = `${e.code}: ${e.message}`;
      } finally {
        button.disabled = false;
      }
    },
  },
  h('div', { class: 'field' }, h('label', { for: select.id }, 'Tool'), select),
  h('div', { class: 'field' }, h('label', { for: args.id }, 'Arguments (JSON)'), args, hint, error),
  h('button', { type: 'submit', class: 'primary' }, 'Call'),
  result);
  return h('details', { class: 'try-tool', open: open || undefined }, h('summary', {}, 'Try a tool'), form);
}
