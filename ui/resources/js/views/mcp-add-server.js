import { post } from '../api.js';
import { h, toast } from '../dom.js';

/**
 * "Add a server": the user registers an MCP server themselves. It is then the local user's
 * (`origin: null`): no web app sees it, and fleet orchestrators may list and call it. What the
 * user types holds no secret placeholder, so the template is the values themselves; env and header
 * values are kept in the bridge's data folder (owner-only) and never shown again.
 */
export function addServerForm() {
  const id = 'add-server';
  const field = (name, label, control, hint) =>
    h('div', { class: 'field', 'data-field': name }, h('label', { for: control.id }, label), control, hint ? h('div', { class: 'hint', id: `${control.id}-hint` }, hint) : null);
  const input = (name, attrs = {}) => h('input', { id: `${id}-${name}`, name, type: 'text', autocomplete: 'off', spellcheck: 'false', ...attrs });
  const lines = (name, rows = '3') => h('textarea', { id: `${id}-${name}`, name, rows, spellcheck: 'false' });

  const name = input('name', { required: true, maxlength: '100' });
  const kind = h('select', { id: `${id}-kind`, name: 'kind' },
    h('option', { value: 'stdio' }, 'A command on this computer (stdio)'),
    h('option', { value: 'streamable-http' }, 'An HTTP address (Streamable HTTP)'),
    h('option', { value: 'sse' }, 'An HTTP address (SSE, older servers)'));
  const command = input('command', { 'aria-describedby': `${id}-command-hint` });
  const args = lines('args');
  const cwd = input('cwd');
  const env = lines('env');
  const url = input('url', { type: 'url', placeholder: 'https://…' });
  const headers = lines('headers');
  const autoConnect = h('input', { id: `${id}-auto`, name: 'autoConnect', type: 'checkbox' });
  const error = h('div', { class: 'error', id: `${id}-error`, role: 'alert' });

  const stdioFields = h('div', { 'data-kind': 'stdio' },
    field('command', 'Command', command, 'The program to start, e.g. npx or a full path. Starting it asks you first, on the Approvals page.'),
    field('args', 'Arguments, one per line', args),
    field('cwd', 'Working folder (optional)', cwd),
    field('env', 'Environment, one NAME=value per line (optional; values are kept, never shown)', env));
  const httpFields = h('div', { 'data-kind': 'http', hidden: true },
    field('url', 'Address of its MCP endpoint', url),
    field('headers', 'Headers, one "Name: value" per line (optional; values are kept, never shown)', headers));
  const showKind = () => {
    stdioFields.hidden = kind.value !== 'stdio';
    httpFields.hidden = kind.value === 'stdio';
  };
  kind.addEventListener('change', showKind);

  const form = h('form', {
    'aria-label': 'Add a server yourself',
    onsubmit: async (event) => {
      event.preventDefault();
      error.textContent = '';
      let body;
      try {
        body = { name: name.value.trim(), transport: transportFrom(), options: { autoConnect: autoConnect.checked } };
      } catch (problem) {
        error.textContent = problem.message;
        return;
      }
      const button = form.querySelector('button[type="submit"]');
      button.disabled = true;
      try {
        const server = await post('/api/v1/mcp/servers', body);
        toast(`${server.name}: added`);
        form.reset();
        showKind();
      } catch (problem) {
        const where = problem.details?.field ? ` (${problem.details.field})` : '';
        error.textContent = `${problem.code}: ${problem.message}${where}`;
      } finally {
        button.disabled = false;
      }
    },
  },
  h('p', { class: 'muted' }, 'A server you add is yours: no web app sees it; fleet orchestrators you paired may use it.'),
  field('name', 'Name', name),
  field('kind', 'How to reach it', kind),
  stdioFields,
  httpFields,
  h('div', { class: 'field checkbox' }, autoConnect, ' ', h('label', { for: autoConnect.id }, 'Connect whenever the bridge starts')),
  error,
  h('button', { type: 'submit', class: 'primary' }, 'Add server'));

  /** The transport the form describes, its template the same values; throws a message for the user. */
  function transportFrom() {
    if (kind.value === 'stdio') {
      if (!command.value.trim()) throw new Error('Command: say which program to start.');
      const values = {
        command: command.value.trim(),
        args: nonEmptyLines(args.value),
        ...(cwd.value.trim() ? { cwd: cwd.value.trim() } : {}),
        ...(env.value.trim() ? { env: pairs(env.value, '=', 'Environment') } : {}),
      };
      return { type: 'stdio', ...values, template: values };
    }
    if (!url.value.trim()) throw new Error('Address: give the URL of its MCP endpoint.');
    return { type: kind.value, url: url.value.trim(), headers: pairs(headers.value, ':', 'Headers') };
  }

  return { el: h('details', { class: 'panel add-server', id }, h('summary', {}, 'Add a server yourself'), form) };
}

function nonEmptyLines(text) {
  return text.split('\n').map((line) => line.trim()).filter((line) => line !== '');
}

/** `NAME=value` (or `Name: value`) lines as an object; a line without the separator is the user's mistake. */
function pairs(text, separator, what) {
  const result = {};
  for (const line of nonEmptyLines(text)) {
    const at = line.indexOf(separator);
    if (at <= 0) throw new Error(`${what}: "${line}" has no ${separator === '=' ? 'NAME=value' : 'Name: value'} form.`);
    result[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return result;
}
