import { del, get, post } from '../api.js';
import { h, replace, toast } from '../dom.js';
import { dateTime } from '../format.js';
import { problem } from './common.js';

const PATH = '/api/v1/ui/fleet/orchestrators';

/**
 * The fleet orchestrators paired with this machine (docs/fleet.md), each with the name the user
 * gave it, so a prompt from "the build farm" is told apart from one by an unknown key. Pairing,
 * renaming and unpairing apply at once through the pairing routes, like `osloop-bridge fleet pair`;
 * they are not part of the settings form, so an unsaved form never holds a pairing back.
 */
export function fleetPanel() {
  const list = h('div', { id: 'fleet-orchestrators-list' });
  const key = h('input', { id: 'fleet-pair-key', class: 'mono', autocomplete: 'off', spellcheck: 'false', required: true, 'aria-describedby': 'fleet-pair-key-hint fleet-pair-error' });
  const label = h('input', { id: 'fleet-pair-label', maxlength: '200', autocomplete: 'off', 'aria-describedby': 'fleet-pair-error' });
  const error = h('div', { class: 'error', id: 'fleet-pair-error', role: 'alert' });
  const form = h('form', {
    id: 'fleet-pair',
    novalidate: true,
    onsubmit: async (event) => {
      event.preventDefault();
      error.textContent = '';
      try {
        await post(PATH, { key: key.value.trim(), label: label.value.trim() || null });
        toast(`Orchestrator ${label.value.trim() || shortKey(key.value.trim())} paired`);
        key.value = '';
        label.value = '';
        await load();
      } catch (failure) {
        error.textContent = `Not paired: ${failure.message}`;
      }
    },
  },
  h('div', { class: 'field' }, h('label', { for: 'fleet-pair-key' }, 'Orchestrator public key'), key,
    h('div', { class: 'hint', id: 'fleet-pair-key-hint' }, 'U… or A…, 56 characters, as `osloop-bridge fleet id` prints it on the orchestrator\'s side.')),
  h('div', { class: 'field' }, h('label', { for: 'fleet-pair-label' }, 'Name (optional)'), label),
  error,
  h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'submit', id: 'fleet-pair-submit' }, 'Pair')));

  const el = h('section', { class: 'panel', id: 'fleet-orchestrators', 'aria-labelledby': 'fleet-orchestrators-title' },
    h('h2', { id: 'fleet-orchestrators-title' }, 'Fleet orchestrators'),
    h('p', { class: 'muted small' }, 'Orchestrators that may send this machine jobs over NATS. Each of their jobs still asks you here unless you made a rule for that orchestrator. Changes apply at once.'),
    list,
    h('h3', {}, 'Pair an orchestrator'),
    form);

  async function load() {
    try {
      const { orchestrators } = await get(PATH);
      if (orchestrators.length === 0) return replace(list, h('p', { class: 'muted', id: 'fleet-none' }, 'No orchestrator is paired: no job can reach this machine over NATS.'));
      replace(list, h('table', { 'aria-label': 'Paired fleet orchestrators' },
        h('thead', {}, h('tr', {}, ['Name', 'Public key', 'Paired', ''].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, orchestrators.map((o) => row(o, load)))));
    } catch (failure) {
      replace(list, problem('Fleet orchestrators', failure));
    }
  }
  return { el, load };
}

function row(o, reload) {
  const name = o.label ?? shortKey(o.key);
  const input = h('input', { class: 'fleet-label', value: o.label ?? '', maxlength: '200', 'aria-label': `Name of orchestrator ${o.key}`, placeholder: 'no name' });
  const rename = async () => {
    const next = input.value.trim();
    if (next === (o.label ?? '')) return;
    try {
      await post(PATH, { key: o.key, label: next || null });
      toast(next ? `Orchestrator renamed "${next}"` : 'Orchestrator name cleared');
    } catch (failure) {
      toast(`Not renamed: ${failure.message}`, { bad: true });
    }
    await reload();
  };
  return h('tr', { 'data-orchestrator': o.key },
    h('td', {}, input, ' ', h('button', { type: 'button', class: 'fleet-rename', 'aria-label': `Save the name of orchestrator ${o.key}`, onclick: rename }, 'Save name')),
    h('td', { class: 'mono small' }, o.key),
    h('td', {}, dateTime(o.pairedAt)),
    h('td', {}, h('button', {
      type: 'button',
      class: 'danger fleet-unpair',
      'aria-label': `Unpair orchestrator ${name}`,
      onclick: async (event) => {
        if (!confirm(`Unpair orchestrator ${name}? Its requests are refused from now on.`)) return;
        event.currentTarget.disabled = true;
        try {
          await del(`${PATH}/${encodeURIComponent(o.key)}`);
          toast(`Orchestrator ${name} unpaired`);
        } catch (failure) {
          toast(`${failure.code}: ${failure.message}`, { bad: true });
        }
        await reload();
      },
    }, 'Unpair')));
}

/** A key is long: the first characters tell keys apart in a toast or a question. */
function shortKey(key) {
  return `${key.slice(0, 8)}…`;
}
