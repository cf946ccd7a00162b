import { session } from './api.js';
import { h, replace, toast } from './dom.js';
import { EventFeed } from './live.js';
import { PromptStore } from './prompts.js';

const PAGES = ['status', 'approvals', 'rules', 'history', 'runs', 'mcp', 'awake', 'inspector', 'settings'];
const TOKEN_KEY = 'osloop.uiToken';
const view = document.getElementById('view');
const ctx = { feed: null, prompts: null, shell: null, navigate, leaveGuard: null };
let cleanup = null;
let mountedPage = null;
let pageTitle = 'Status';

/** The tab title leads with the pending count, so a background tab still says "2 waiting". */
function showTitle() {
  const n = ctx.prompts?.list().length ?? 0;
  document.title = `${n ? `(${n} waiting) ` : ''}${pageTitle} · OS Loop Bridge`;
}

/**
 * `osloop-bridge open` passes the UI token in the fragment (never sent to the server): keep it
 * for this tab only and take it out of the address bar and history at once.
 */
function takeTokenFromFragment() {
  const match = /^#token=([A-Za-z0-9_-]+)(?:&page=([a-z]+))?/.exec(location.hash);
  if (match) {
    sessionStorage.setItem(TOKEN_KEY, match[1]);
    const page = PAGES.includes(match[2]) ? match[2] : 'status';
    history.replaceState(null, '', `${location.pathname}${location.search}#${page}`);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

export function navigate(page) {
  if (location.hash !== `#${page}`) location.hash = page;
  else route();
}

async function route() {
  const wanted = location.hash.slice(1).split('?')[0];
  const page = PAGES.includes(wanted) ? wanted : 'status';
  // A page with unsaved edits may keep the person on it: put its address back, without an event.
  if (page !== mountedPage && ctx.leaveGuard && !ctx.leaveGuard()) {
    history.replaceState(null, '', `${location.pathname}${location.search}#${mountedPage}`);
    return;
  }
  for (const link of document.querySelectorAll('#nav a')) {
    if (link.dataset.page === page) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (page === mountedPage) return;
  mountedPage = page;
  cleanup?.();
  cleanup = null;
  replace(view, h('p', { class: 'muted' }, 'Loading…'));
  const module = await import(`./views/${page}.js`);
  if (mountedPage !== page) return;
  replace(view);
  cleanup = (await module.mount(view, ctx)) ?? null;
  pageTitle = view.querySelector('h1')?.textContent ?? page;
  showTitle();
  view.focus({ preventScroll: true });
}

function askForToken() {
  const input = h('input', { type: 'text', id: 'token', autocomplete: 'off', spellcheck: 'false' });
  replace(
    view,
    h('h1', {}, 'Connect to the bridge'),
    h('div', { class: 'panel' },
      h('p', {}, 'This page needs the bridge\'s local UI token. The easiest way is to run ', h('code', {}, 'osloop-bridge open'), ', which opens this page already connected.'),
      h('form', {
        onsubmit: (event) => {
          event.preventDefault();
          if (!input.value.trim()) return;
          sessionStorage.setItem(TOKEN_KEY, input.value.trim());
          location.hash = 'status';
          location.reload();
        },
      },
      h('div', { class: 'field' }, h('label', { for: 'token' }, 'UI token'), input,
        h('div', { class: 'hint' }, 'Found in the ui-token file of the bridge\'s data directory (readable only by you).')),
      h('button', { class: 'primary', type: 'submit' }, 'Connect')),
    ),
  );
}

function setConnection(state) {
  const conn = document.getElementById('conn');
  conn.className = `conn ${state === 'open' ? 'ok' : 'down'}`;
  conn.textContent = state === 'open' ? 'live' : 'reconnecting…';
}

function showBadge() {
  const badge = document.getElementById('approvals-badge');
  const n = ctx.prompts.list().length;
  badge.hidden = n === 0;
  badge.textContent = String(n);
  badge.setAttribute('aria-label', `${n} pending`);
  showTitle();
}

async function start() {
  const inShell = new URLSearchParams(location.search).get('shell') === 'neutralino';
  if (inShell) {
    // Inside the Neutralino window: the shell reads the token file and knows the bridge's URL.
    const { connectShell } = await import('./shell.js');
    ctx.shell = await connectShell(session);
  } else {
    session.token = takeTokenFromFragment();
  }
  if (!session.token) return askForToken();
  ctx.feed = new EventFeed({ onState: setConnection });
  ctx.prompts = new PromptStore(ctx.feed);
  ctx.prompts.onChange(showBadge);
  setInterval(showBadge, 5000);
  // Not awaited: the pages work over HTTP/WS while the tray is being set up.
  ctx.shell?.attach(ctx).catch((error) => {
    console.error(error);
    toast(`The desktop window could not set up its tray: ${error.message}`, { bad: true });
  });
  window.addEventListener('hashchange', route);
  await route();
}

start().catch((error) => {
  console.error(error);
  replace(view, h('div', { class: 'notice bad', role: 'alert' }, `The page failed to start: ${error.message}`));
});
