import { h } from '../dom.js';

/** What a page shows when the bridge does not offer a capability (501) or a route yet. */
export function unavailable(what) {
  return h('div', { class: 'unavailable', role: 'note', 'data-unavailable': 'true' },
    h('strong', {}, `${what}: not available on this bridge yet.`),
    h('p', {}, 'This bridge does not implement it (it answered 501 "unsupported"). The rest of the bridge works as usual; this page fills in once the capability is installed.'));
}

/** A failure shown in place, never a blank page. */
export function failure(error) {
  return h('div', { class: 'notice bad', role: 'alert' }, `${error.code ? `${error.code}: ` : ''}${error.message}`);
}

/** Renders `unavailable` for 501/unknown routes and `failure` otherwise. */
export function problem(what, error) {
  return error?.unavailable ? unavailable(what) : failure(error);
}

/**
 * Wraps a page's `load` so that loads never overlap and a call made during one runs once more
 * after it: the page subscribes to its events first and reloads on each, and whatever changed
 * while a load was in flight is shown by the load that follows, never lost between the snapshot
 * and the events, and never overwritten by an older answer arriving late.
 */
export function serialLoader(load) {
  let running = null;
  let again = false;
  return function reload() {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await load();
        } while (again);
      } finally {
        running = null;
      }
    })();
    return running;
  };
}

export function heading(title, intro) {
  return intro ? [h('h1', {}, title), h('p', { class: 'muted' }, intro)] : [h('h1', {}, title)];
}

/** A state in words ("awaiting permission"), coloured by its class; `data-state` keeps the raw value. */
export function stateTag(state) {
  const raw = String(state);
  return h('span', { class: `state state-${raw.replace(/[^a-z_]/gi, '')}`, 'data-state': raw }, raw.replace(/_/g, ' '));
}

/** Runs `fn` now and every `ms`, skipping while the tab is hidden; returns the stop function. */
export function every(ms, fn) {
  fn();
  const timer = setInterval(() => {
    if (!document.hidden) fn();
  }, ms);
  return () => clearInterval(timer);
}
