import { patch } from '../api.js';
import { h, toast } from '../dom.js';

/**
 * The first-start question: may the web app answer its own permission prompts? Until the user
 * answers (`approvalsChosenAt` is null) the Status and Settings pages show it. The safe default
 * (only this window answers) is already in force; choosing it only records that the user chose.
 * Both answers save through the settings route, which records when.
 */
export function approvalsChoice(onChosen) {
  const status = h('p', { class: 'small', role: 'status', id: 'approvals-choice-status' });
  const choose = (localOnly) => async () => {
    for (const button of el.querySelectorAll('button')) button.disabled = true;
    status.textContent = 'Saving…';
    try {
      const saved = await patch('/api/v1/ui/settings', { approvalsLocalOnly: localOnly });
      el.remove();
      toast(localOnly ? 'Only this window answers prompts.' : 'The web app may answer its own prompts.');
      onChosen?.(saved);
    } catch (error) {
      status.textContent = `Not saved: ${error.message}`;
      for (const button of el.querySelectorAll('button')) button.disabled = false;
    }
  };
  const el = h('section', { class: 'notice warn', id: 'approvals-choice', role: 'region', 'aria-labelledby': 'approvals-choice-title' },
    h('h2', { id: 'approvals-choice-title' }, 'Who may answer permission prompts?'),
    h('p', {}, 'Each time the web app asks to run something on this machine, someone must allow it. Choose who may answer. You can change it later in Settings.'),
    h('ul', {},
      h('li', {}, h('strong', {}, 'Only this window'), ' (recommended): you answer every prompt here. An agent in the web app can never approve its own request.'),
      h('li', {}, h('strong', {}, 'Also the web app'), ': the web app may answer its prompts, for a web app that relays your decision to the bridge. An agent there could then approve itself.')),
    h('div', { class: 'actions' },
      h('button', { class: 'primary', type: 'button', id: 'approvals-choice-local', onclick: choose(true) }, 'Only this window answers'),
      h('button', { type: 'button', id: 'approvals-choice-web', onclick: choose(false) }, 'Let the web app answer too')),
    status);
  return el;
}
