import { get, post } from '../api.js';
import { h, replace, toast } from '../dom.js';
import { dateTime, principal, visible } from '../format.js';
import { problem, serialLoader } from './common.js';

/**
 * "Servers asking you": the MCP servers' pending requests (elicitation, sampling, roots), each
 * with who it is for and a way to answer it. A request made while several web apps were calling
 * the server is only the person's to answer, so this is where it gets answered; the others can be
 * answered here too, whoever gets there first. Server text is shown with its invisible characters
 * made visible; a URL is shown, never opened.
 */
export function serverRequestsPanel(ctx) {
  const el = h('section', { id: 'server-requests', 'aria-labelledby': 'server-requests-title', hidden: true });
  const load = serialLoader(async () => {
    try {
      const { requests } = await get('/api/v1/mcp/server-requests');
      el.hidden = requests.length === 0;
      // Keep what the person is typing: only cards of requests that came or went change.
      const shown = new Map([...el.querySelectorAll('[data-request-id]')].map((card) => [card.dataset.requestId, card]));
      replace(el, h('h2', { id: 'server-requests-title' }, `Servers asking you (${requests.length})`),
        requests.map((request) => shown.get(request.requestId) ?? requestCard(request, load)));
    } catch (error) {
      el.hidden = false;
      replace(el, problem('MCP server requests', error));
    }
  });
  // Subscribed before the first load, so that no request falls between the list and the events.
  const off = ctx.feed.on('mcp.server_request.>', () => void load());
  void load();
  return { el, stop: off };
}

/** Who the request is for, in words. */
export function audienceText(request) {
  if (request.visibleTo === 'caller') return `For ${principal(request.requestedBy)}: its request to this server waits for the answer.`;
  if (request.visibleTo === 'ui_only') return 'Several web apps were calling this server when it asked, and it did not say for whom: only you can answer.';
  return 'The server asked on its own, while no request to it was running: any web app you allowed may answer it too.';
}

const KIND_WORDS = { elicitation: 'asks you for information', sampling: 'asks for an answer from a model', roots: 'asks which folders it may work in' };

function requestCard(request, reload) {
  const titleId = `sreq-${request.requestId}`;
  const status = h('div', { class: 'error', role: 'alert' });
  const answer = async (body, done) => {
    status.textContent = '';
    try {
      await post(`/api/v1/mcp/server-requests/${encodeURIComponent(request.requestId)}/respond`, body);
      toast(`${request.serverName}: ${done}`);
    } catch (error) {
      status.textContent = error.code === 'not_found' ? 'It is no longer waiting (answered elsewhere, withdrawn or timed out).' : `${error.code}: ${error.message}`;
    }
    await reload();
  };
  const reject = (label = 'Reject') => h('button', { type: 'button', 'data-answer': 'reject', onclick: () => answer({ reject: { message: 'The user rejected the request.' } }, 'rejected') }, label);
  return h('article', { class: 'panel', 'data-request-id': request.requestId, 'data-kind': request.kind, 'data-visible-to': request.visibleTo, 'aria-labelledby': titleId },
    h('h3', { id: titleId }, `${request.serverName} ${KIND_WORDS[request.kind] ?? `asks (${request.kind})`}`),
    h('p', { class: request.visibleTo === 'ui_only' ? 'notice warn' : 'muted', 'data-audience': 'true' }, audienceText(request)),
    h('p', { class: 'muted small' }, `Unanswered by ${dateTime(request.expiresAt)}, the server is told nobody answered.`),
    request.kind === 'elicitation' ? elicitationForm(request, answer) : request.kind === 'sampling' ? samplingForm(request, answer, reject()) : rootsAnswer(answer, reject()),
    status);
}

function elicitationForm(request, answer) {
  const message = h('p', { class: 'server-text' }, visible(String(request.params.message ?? '')));
  const declineButtons = [
    h('button', { type: 'button', 'data-answer': 'decline', onclick: () => answer({ result: { action: 'decline' } }, 'declined') }, 'Decline'),
    h('button', { type: 'button', 'data-answer': 'cancel', onclick: () => answer({ result: { action: 'cancel' } }, 'dismissed') }, 'Dismiss'),
  ];
  if (request.mode === 'url') {
    return h('div', {}, message,
      h('p', {}, 'It asks you to visit this address yourself (the bridge opens nothing): ', h('span', { class: 'mono', 'data-url': 'true' }, visible(String(request.params.url ?? '')))),
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', 'data-answer': 'accept', onclick: () => answer({ result: { action: 'accept' } }, 'accepted') }, 'I have done it'), ...declineButtons));
  }
  const schema = request.params.requestedSchema ?? {};
  const required = new Set(schema.required ?? []);
  const fields = Object.entries(schema.properties ?? {}).map(([name, property]) => schemaField(request.requestId, name, property, required.has(name)));
  const form = h('form', {
    onsubmit: (event) => {
      event.preventDefault();
      const content = {};
      for (const field of fields) {
        const value = field.read();
        if (value !== undefined) content[field.name] = value;
      }
      void answer({ result: { action: 'accept', content } }, 'answered');
    },
  }, fields.map((field) => field.el), h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', 'data-answer': 'accept' }, 'Send'), ...declineButtons));
  return h('div', {}, message, form);
}

/** One form field for a property of an elicitation's flat schema (strings, numbers, booleans, single and multiple choice). */
function schemaField(requestId, name, property, required) {
  const id = `sreq-${requestId}-${name}`;
  const label = h('label', { for: id }, visible(String(property.title ?? name)), required ? ' (required)' : '');
  const hint = property.description ? h('div', { class: 'hint', id: `${id}-hint` }, visible(String(property.description))) : null;
  const described = hint ? `${id}-hint` : undefined;
  const choices = choicesOf(property.type === 'array' ? property.items ?? {} : property);
  if (property.type === 'array' && choices) {
    const defaults = new Set(Array.isArray(property.default) ? property.default : []);
    const boxes = choices.map((choice) => h('label', { class: 'choice' }, h('input', { type: 'checkbox', value: choice.value, checked: defaults.has(choice.value) }), ' ', visible(choice.title)));
    const group = h('fieldset', { 'aria-describedby': described }, h('legend', {}, visible(String(property.title ?? name))), boxes, hint);
    return { name, el: h('div', { class: 'field' }, group), read: () => boxes.map((b) => b.querySelector('input')).filter((input) => input.checked).map((input) => input.value) };
  }
  let input;
  let read;
  if (property.type === 'boolean') {
    input = h('input', { type: 'checkbox', id, checked: property.default === true, 'aria-describedby': described });
    read = () => input.checked;
  } else if (choices) {
    input = h('select', { id, required, 'aria-describedby': described }, required ? null : h('option', { value: '' }, '—'), choices.map((choice) => h('option', { value: choice.value, selected: choice.value === property.default }, visible(choice.title))));
    read = () => input.value || undefined;
  } else if (property.type === 'number' || property.type === 'integer') {
    input = h('input', { type: 'number', id, required, min: property.minimum, max: property.maximum, step: property.type === 'integer' ? '1' : 'any', 'aria-describedby': described });
    if (property.default !== undefined) input.value = String(property.default);
    read = () => (input.value === '' ? undefined : Number(input.value));
  } else {
    const type = { email: 'email', uri: 'url', date: 'date', 'date-time': 'datetime-local' }[property.format] ?? 'text';
    input = h('input', { type, id, required, minlength: property.minLength, maxlength: property.maxLength, 'aria-describedby': described });
    if (typeof property.default === 'string') input.value = property.default;
    read = () => (input.value === '' ? undefined : input.value);
  }
  return { name, el: h('div', { class: 'field' }, label, input, hint), read };
}

/** The choices of an enum (`enum` with optional `enumNames`, or `oneOf`/`anyOf` of `const` and `title`), or null. */
function choicesOf(schema) {
  if (Array.isArray(schema.enum)) return schema.enum.map((value, i) => ({ value: String(value), title: String(schema.enumNames?.[i] ?? value) }));
  const options = schema.oneOf ?? schema.anyOf;
  if (Array.isArray(options)) return options.map((option) => ({ value: String(option.const), title: String(option.title ?? option.const) }));
  return null;
}

function samplingForm(request, answer, rejectButton) {
  const messages = Array.isArray(request.params.messages) ? request.params.messages : [];
  const id = `sreq-${request.requestId}-reply`;
  const reply = h('textarea', { id, rows: '3', required: true });
  const contentText = (content) => (content?.type === 'text' ? String(content.text ?? '') : `[${content?.type ?? 'content'}]`);
  const form = h('form', {
    onsubmit: (event) => {
      event.preventDefault();
      void answer({ result: { role: 'assistant', content: { type: 'text', text: reply.value }, model: 'written by the user', stopReason: 'endTurn' } }, 'answered');
    },
  },
  h('div', { class: 'field' }, h('label', { for: id }, 'Your answer, sent as the model\'s'), reply),
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', 'data-answer': 'accept' }, 'Send'), rejectButton));
  return h('div', {},
    request.params.systemPrompt ? h('p', { class: 'muted' }, 'System prompt: ', h('span', { class: 'server-text' }, visible(String(request.params.systemPrompt)))) : null,
    h('ol', { class: 'sampling-messages' }, messages.map((m) => h('li', {}, h('strong', {}, `${m.role}: `), h('span', { class: 'server-text' }, visible(contentText(m.content)))))),
    form);
}

function rootsAnswer(answer, rejectButton) {
  return h('div', { class: 'actions' },
    h('button', { type: 'button', class: 'primary', 'data-answer': 'accept', onclick: () => answer({ result: { roots: [] } }, 'told no folders') }, 'Answer: no folders'),
    rejectButton);
}
