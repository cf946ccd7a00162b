import { h, replace } from '../dom.js';
import { countdown } from '../format.js';
import { commandText } from '../run-text.js';

/** After a prompt becomes the current one, its answers ignore clicks this long: the next card's
 * Allow button may have slid under a pointer that meant the previous card. */
export const ARMING_MS = 800;

/**
 * The approvals queue: one prompt expanded ("2 of 5"), the rest as compact rows in the order they
 * were asked. Answering one moves to the next in place and moves keyboard focus to it; its
 * answers arm after a short delay. A prompt that expires while shown says so and stays until
 * the person moves on. `makeCard(prompt)` builds the expanded card (approvals.js).
 */
export function approvalsQueue(ctx, makeCard) {
  const position = h('span', { class: 'queue-position', id: 'queue-position', 'aria-live': 'polite' });
  const list = h('ol', { class: 'queue', id: 'queue', 'aria-label': 'Pending prompts' });
  const stage = h('div', { class: 'prompt-stage', id: 'prompts' });
  const el = h('div', {}, h('div', { class: 'queue-head' }, position), stage, h('h2', {}, 'Queue'), list);
  const cards = new Map();
  const expired = new Map();
  let currentId = new URLSearchParams(location.hash.split('?')[1] ?? '').get('prompt');
  let shownId = null;
  let lastIndex = 0;

  const cardFor = (prompt) => {
    if (!cards.has(prompt.promptId)) {
      const card = makeCard(prompt);
      card.setAttribute('tabindex', '-1');
      card.classList.add('prompt-current');
      card.dataset.expiresAt = prompt.expiresAt;
      // While arming, a click (or Enter) on an answer is swallowed before the button sees it.
      card.addEventListener('click', (event) => {
        if (event.target.closest?.('[data-arming="true"]')) {
          event.preventDefault();
          event.stopPropagation();
        }
      }, true);
      cards.set(prompt.promptId, card);
    }
    return cards.get(prompt.promptId);
  };

  const arm = (card) => {
    const buttons = card.querySelectorAll('.actions button, button[data-action]');
    for (const b of buttons) {
      b.setAttribute('aria-disabled', 'true');
      b.dataset.arming = 'true';
    }
    setTimeout(() => {
      for (const b of buttons) {
        b.removeAttribute('aria-disabled');
        delete b.dataset.arming;
      }
    }, ARMING_MS);
  };

  const show = (prompt, pending) => {
    const keyboardWasHere = !document.activeElement || document.activeElement === document.body || stage.contains(document.activeElement);
    if (!prompt) {
      shownId = null;
      replace(stage, h('p', { class: 'muted empty' }, 'No pending prompts.'));
      position.textContent = '';
      if (keyboardWasHere) stage.querySelector('.empty')?.setAttribute('tabindex', '-1');
      return;
    }
    if (shownId !== prompt.promptId) {
      const card = expired.has(prompt.promptId) ? expired.get(prompt.promptId) : cardFor(prompt);
      replace(stage, card);
      const first = shownId === null;
      shownId = prompt.promptId;
      if (!expired.has(prompt.promptId)) arm(card);
      // The keyboard follows the queue: after an answer, focus lands on the next prompt itself
      // (not on its Allow button), so a repeated Enter can never approve it blindly.
      if (!first || keyboardWasHere) card.focus({ preventScroll: first });
    }
    const index = pending.findIndex((p) => p.promptId === prompt.promptId);
    position.textContent = index >= 0 ? `Prompt ${index + 1} of ${pending.length}` : `Expired · ${pending.length} waiting`;
  };

  const render = () => {
    const pending = ctx.prompts.list();
    // The shown prompt left the queue because its time ran out: say so before moving on.
    const shownCard = cards.get(shownId);
    if (shownCard && !expired.has(shownId) && !pending.some((p) => p.promptId === shownId) && Date.parse(shownCard.dataset.expiresAt) <= Date.now() + 500) markExpired(shownId);
    for (const id of [...cards.keys()]) if (!pending.some((p) => p.promptId === id) && id !== shownId) cards.delete(id);
    let current = pending.find((p) => p.promptId === currentId);
    if (!current && expired.has(currentId)) current = { promptId: currentId };
    if (!current) {
      current = pending[Math.min(lastIndex, pending.length - 1)] ?? null;
      currentId = current?.promptId ?? null;
    }
    lastIndex = Math.max(0, pending.findIndex((p) => p.promptId === currentId));
    show(current, pending);
    replace(list, pending.map((p, i) => h('li', {}, h('button', {
      class: 'item',
      'data-queue-id': p.promptId,
      'aria-current': p.promptId === currentId ? 'true' : undefined,
      onclick: () => {
        currentId = p.promptId;
        render();
      },
    }, h('code', {}, `${i + 1}. ${commandText(p.template, p.shell)}`), h('span', { class: 'small', 'data-countdown-of': p.promptId }, left(p))))));
    if (pending.length === 0 && !expired.has(currentId)) list.replaceChildren();
  };

  /** The prompt shown expired: say so on its card, keep it until the person moves on. */
  const markExpired = (promptId) => {
    const card = cards.get(promptId);
    if (!card || shownId !== promptId || expired.has(promptId)) return;
    card.classList.add('expired');
    for (const b of card.querySelectorAll('.actions button')) b.disabled = true;
    card.append(h('div', { class: 'notice bad expired-note', role: 'alert', 'data-expired': 'true' },
      h('strong', {}, 'This prompt expired: nobody answered in time, so it was rejected. '),
      h('button', { type: 'button', class: 'primary', onclick: () => {
        expired.delete(promptId);
        currentId = null;
        render();
      } }, ctx.prompts.list().length ? 'Show the next prompt' : 'Dismiss')));
    expired.set(promptId, card);
  };

  const tick = () => {
    for (const p of ctx.prompts.list()) {
      const cell = list.querySelector(`[data-countdown-of="${CSS.escape(p.promptId)}"]`);
      if (cell) cell.textContent = left(p);
    }
    for (const card of cards.values()) card.tick?.();
  };

  const offs = [
    ctx.prompts.onChange(render),
    ctx.feed.on('permission.prompt.expired', ({ data }) => {
      markExpired(data.promptId);
      render();
    }),
  ];
  // A link to one prompt (`#approvals?prompt=…`) while the page is open makes it the current one.
  const onHash = () => {
    const id = new URLSearchParams(location.hash.split('?')[1] ?? '').get('prompt');
    if (location.hash.startsWith('#approvals') && id && id !== currentId) {
      currentId = id;
      render();
    }
  };
  window.addEventListener('hashchange', onHash);
  offs.push(() => window.removeEventListener('hashchange', onHash));
  render();
  const timer = setInterval(() => {
    tick();
    render();
  }, 1000);
  return { el, stop: () => (clearInterval(timer), offs.forEach((off) => off())) };
}

function left(prompt) {
  return countdown(Date.parse(prompt.expiresAt) - Date.now());
}
