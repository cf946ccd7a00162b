import { get, patch } from '../api.js';
import { h, replace, toast } from '../dom.js';
import { dateTime } from '../format.js';
import { approvalsChoice } from './approvals-choice.js';
import { heading, problem, serialLoader } from './common.js';
import { fleetPanel } from './settings-fleet.js';
import { originsPanel, portNote, sessionsPanel } from './settings-panels.js';

const lines = (text) => text.split('\n').map((l) => l.trim()).filter(Boolean);

/**
 * Settings: saved to the config file (validated, atomically). The port applies on the next start
 * and is never changed by the bridge itself; the rest applies at once.
 */
export async function mount(root, ctx) {
  const body = h('div', {});
  const choice = h('div', { id: 'approvals-choice-slot' });
  const sessions = sessionsPanel();
  const fleet = fleetPanel();
  root.append(...heading('Settings'), choice, body, sessions.el, fleet.el);
  let form = null;
  try {
    const settings = await get('/api/v1/ui/settings');
    let origins = originsPanel(settings);
    // What is allowed changes with every save of the allowed origins.
    form = render(body, settings, (saved) => {
      const next = originsPanel(saved);
      origins.replaceWith(next);
      origins = next;
    });
    body.append(origins);
    choice.dataset.asked = String(settings.approvalsChosenAt === null);
    if (settings.approvalsChosenAt === null) {
      replace(choice, approvalsChoice((saved) => {
        Object.assign(settings, saved);
        form.chosen(saved);
      }));
    }
  } catch (error) {
    replace(body, problem('Settings', error));
  }
  // Subscribed before the first load, so that no session falls between the list and the events.
  const loadSessions = serialLoader(() => sessions.load());
  const offs = ['session.created', 'session.expired'].map((type) => ctx.feed.on(type, () => void loadSessions()));
  await Promise.all([loadSessions(), fleet.load()]);
  // Unsaved edits are never lost silently: leaving the page or the tab asks first.
  const beforeUnload = (event) => {
    if (form?.dirty()) event.preventDefault();
  };
  window.addEventListener('beforeunload', beforeUnload);
  ctx.leaveGuard = () => !form?.dirty() || confirm('Your changes to the settings are not saved. Leave the page and lose them?');
  return () => {
    ctx.leaveGuard = null;
    window.removeEventListener('beforeunload', beforeUnload);
    for (const off of offs) off();
  };
}

function field(id, label, input, hint) {
  return h('div', { class: 'field', 'data-field': id }, h('label', { for: id }, label), input, hint ? h('div', { class: 'hint', id: `${id}-hint` }, hint) : null, h('div', { class: 'error', id: `${id}-error`, role: 'alert' }));
}

function render(el, s, onSaved) {
  const inputs = {
    port: h('input', { type: 'number', id: 'port', min: '1', max: '65535', value: String(s.port), 'aria-describedby': 'port-hint' }),
    trayMode: h('input', { type: 'checkbox', id: 'trayMode', checked: s.trayMode }),
    allowedOrigins: h('textarea', { id: 'allowedOrigins', rows: '3', 'aria-describedby': 'allowedOrigins-hint' }),
    promptTimeoutMs: h('input', { type: 'number', id: 'promptTimeoutMs', min: '1', step: '1', value: String(s.promptTimeoutMs / 1000) }),
    defaultCommandTimeoutMs: h('input', { type: 'number', id: 'defaultCommandTimeoutMs', min: '1', step: '1', value: String(s.defaultCommandTimeoutMs / 1000) }),
    denyList: h('textarea', { id: 'denyList', rows: '3', 'aria-describedby': 'denyList-hint' }),
    approvalsLocalOnly: h('input', { type: 'checkbox', id: 'approvalsLocalOnly', checked: s.approvalsLocalOnly }),
  };
  inputs.allowedOrigins.value = s.allowedOrigins.join('\n');
  inputs.denyList.value = s.denyList.join('\n');
  const restart = h('p', { id: 'restart-note', class: 'notice warn' });
  const showPortNote = (view) => {
    const note = portNote(view);
    restart.hidden = !note;
    restart.textContent = note ?? '';
  };
  showPortNote(s);
  const status = h('p', { role: 'status', id: 'settings-status' });
  const chosen = h('span', { id: 'approvalsLocalOnly-chosen' });
  const showChosen = (view) => {
    chosen.textContent = view.approvalsChosenAt ? ` You chose this on ${dateTime(view.approvalsChosenAt)}.` : ' Not chosen yet: until you choose, only this window answers.';
  };
  showChosen(s);

  const read = () => ({
    port: Number(inputs.port.value),
    trayMode: inputs.trayMode.checked,
    allowedOrigins: lines(inputs.allowedOrigins.value),
    promptTimeoutMs: Math.round(Number(inputs.promptTimeoutMs.value) * 1000),
    defaultCommandTimeoutMs: Math.round(Number(inputs.defaultCommandTimeoutMs.value) * 1000),
    denyList: lines(inputs.denyList.value),
    approvalsLocalOnly: inputs.approvalsLocalOnly.checked,
  });

  const changes = () => Object.entries(read()).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(s[k])).map(([k]) => k);
  const form = h('form', {
    class: 'panel',
    novalidate: true,
    oninput: () => {
      const changed = changes();
      status.textContent = changed.length ? `Unsaved changes (${changed.length}).` : '';
    },
    onsubmit: async (event) => {
      event.preventDefault();
      for (const e of el.querySelectorAll('.error')) e.textContent = '';
      const wanted = read();
      const changed = Object.fromEntries(Object.entries(wanted).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(s[k])));
      if (Object.keys(changed).length === 0) {
        status.textContent = 'Nothing changed.';
        return;
      }
      status.textContent = 'Saving…';
      try {
        const saved = await patch('/api/v1/ui/settings', changed);
        Object.assign(s, saved);
        showPortNote(saved);
        showChosen(saved);
        if (saved.approvalsChosenAt) document.getElementById('approvals-choice')?.remove();
        onSaved(saved);
        status.textContent = 'Saved.';
        toast('Settings saved');
      } catch (error) {
        status.textContent = 'Not saved: nothing was changed.';
        for (const issue of error.details?.issues ?? []) {
          const key = String(issue.path).replace(/^\//, '').split(/[./]/)[0].replace(/^approvals$/, 'approvalsLocalOnly');
          const target = el.querySelector(`#${CSS.escape(key)}-error`);
          if (target) target.textContent = issue.message;
        }
        if (!error.details?.issues) status.textContent = `Not saved: ${error.message}`;
      }
    },
  },
  restart,
  field('port', 'Port', inputs.port, 'The one port the bridge listens on (127.0.0.1). Applies on restart; the bridge never changes it by itself, even when it is busy.'),
  h('div', { class: 'field checkbox' }, inputs.trayMode, ' ', h('label', { for: 'trayMode' }, 'Tray mode'), h('div', { class: 'hint' }, 'Closing the desktop window hides it to the tray instead of quitting.')),
  field('allowedOrigins', 'Allowed web-app origins', inputs.allowedOrigins, 'One per line, exactly as the browser sends it, e.g. https://app.osloop.ai. Everything the bridge lets in, including what the command line added, is listed below the form.'),
  field('promptTimeoutMs', 'Prompt timeout (seconds)', inputs.promptTimeoutMs, 'An unanswered permission prompt is rejected after this long.'),
  field('defaultCommandTimeoutMs', 'Default command timeout (seconds)', inputs.defaultCommandTimeoutMs, 'For runs that set no timeout of their own. No maximum.'),
  field('denyList', 'Deny list', inputs.denyList, 'Executables (names or absolute paths), one per line, that never run, whatever anyone answers.'),
  h('div', { class: 'field checkbox' }, inputs.approvalsLocalOnly, ' ', h('label', { for: 'approvalsLocalOnly' }, 'Only this UI may answer prompts'), h('div', { class: 'hint' }, 'On by default: a web app cannot answer its own prompts. Turn it off only for a web app that relays your decision to the bridge.', chosen)),
  h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'submit', id: 'save' }, 'Save')),
  status);
  replace(el, form);
  return {
    dirty: () => changes().length > 0,
    /** The choice was made outside the form (the first-start notice): show what is now saved. */
    chosen(view) {
      inputs.approvalsLocalOnly.checked = view.approvalsLocalOnly;
      showChosen(view);
    },
  };
}
