/**
 * A tiny element builder: text always goes through textContent, so nothing the bridge or a web app
 * sends is ever parsed as HTML.
 * h('button', { class: 'primary', onclick: fn, 'aria-label': 'x' }, 'Text', child)
 */
export function h(tag, attrs = {}, ...children) {
  const el = tag.startsWith('svg:') ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4)) : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces every child of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A short message in the corner, read out by screen readers. */
export function toast(message, { bad = false } = {}) {
  const box = document.getElementById('toasts');
  if (!box) return;
  const item = h('div', { class: bad ? 'toast bad' : 'toast' }, message);
  box.append(item);
  setTimeout(() => item.remove(), bad ? 8000 : 4000);
}
