import { del, get, post } from '../api.js';
import { h, replace, toast } from '../dom.js';
import { dateTime, visible } from '../format.js';
import { heading, problem, serialLoader, stateTag } from './common.js';
import { addServerForm } from './mcp-add-server.js';
import { serverRequestsPanel } from './mcp-server-requests.js';
import { tryToolForm } from './mcp-try-tool.js';

const ERROR_WORDS = {
  rejected_by_user: 'You rejected starting this server.',
  permission_timeout: 'Nobody answered the prompt to start it in time.',
  bridge_policy_denied: 'The deny list in Settings forbids its executable.',
  upstream_error: 'The server failed while connecting or running.',
};

/**
 * MCP servers: whose each is (the web app that registered it: only that one may use it), state,
 * transport, the last error in words (code beside it), tools with a "try a tool" form, the
 * stderr of the current process, connect/disconnect/remove. A server awaiting approval links to
 * its prompt and cannot be connected again meanwhile. Above them, what the servers are asking
 * (elicitation, sampling, roots) and waiting for an answer to; below, a form to add one yourself.
 */
export async function mount(root, ctx) {
  const body = h('div', { id: 'servers' });
  const asking = serverRequestsPanel(ctx);
  const adding = addServerForm();
  root.append(...heading('MCP servers', 'MCP servers the web apps registered, each usable by that web app alone, and those you added.'), asking.el, body, adding.el);
  const load = serialLoader(async () => {
    try {
      const { servers } = await get('/api/v1/mcp/servers');
      render(body, servers, load);
    } catch (error) {
      replace(body, problem('MCP servers', error));
    }
  });
  // Subscribed before the first load, so that no change falls between the list and the events.
  // A log message only adds a line to its server's log; everything else re-lists the servers.
  const offServers = ctx.feed.on('mcp.server.>', (event) => {
    if (event.type === 'mcp.server.log') appendLog(body, event.data);
    else void load();
  });
  await load();
  return () => {
    offServers();
    asking.stop();
  };
}

/** Log lines shown per server: the bridge keeps the last 200, the page the last few. */
const LOG_LINES_SHOWN = 30;

function logLine(entry) {
  const data = typeof entry.data === 'string' ? entry.data : JSON.stringify(entry.data);
  // Server text is shown with its invisible characters made visible, never interpreted.
  return `${dateTime(entry.at)} ${entry.level}${entry.logger ? ` ${entry.logger}` : ''}: ${visible(data)}${entry.truncated ? ' (cut)' : ''}`;
}

function appendLog(root, entry) {
  const pre = [...root.querySelectorAll('pre[data-log]')].find((el) => el.dataset.log === entry.serverId);
  if (!pre) return;
  const lines = pre.textContent ? pre.textContent.split('\n') : [];
  lines.push(logLine(entry));
  pre.textContent = lines.slice(-LOG_LINES_SHOWN).join('\n');
}

function transportText(t) {
  return t.type === 'stdio' ? [t.command, ...(t.args ?? [])].join(' ') : `${t.type} ${t.url}`;
}

/**
 * How the bridge signs in to an HTTP server, in words: which client, and where its secret may go
 * (the MCP server names the authorization server; a pre-registered client is bound to one).
 */
export function signInText(oauth) {
  if (!oauth) return null;
  if (!oauth.clientId) return oauth.clientMetadataUrl ? `OAuth, client ${oauth.clientMetadataUrl}` : 'OAuth, if the server asks; the bridge registers itself';
  const grant = oauth.grant === 'client_credentials' ? 'OAuth client credentials' : 'OAuth';
  const secret = oauth.hasClientSecret ? ', with a secret the bridge keeps' : '';
  const where = oauth.issuer ? `only to ${oauth.issuer}` : 'only to the first authorization server that accepts it';
  return `${grant}, client ${oauth.clientId}${secret}, presented ${where}`;
}

/** The last error as a person reads it, or null. */
export function errorInWords(s) {
  if (!s.lastError && !s.lastErrorCode) return null;
  const words = ERROR_WORDS[s.lastErrorCode] ?? 'The last attempt failed.';
  return { words, code: s.lastErrorCode, detail: s.lastError && s.lastErrorCode !== 'rejected_by_user' ? s.lastError : null };
}

function render(el, servers, reload) {
  if (servers.length === 0) return replace(el, h('p', { class: 'muted' }, 'No MCP servers registered.'));
  // Keep an open "try a tool" form across the re-render a state event causes.
  const openForms = new Set([...el.querySelectorAll('details.try-tool[open]')].map((d) => d.closest('[data-server-id]')?.dataset.serverId));
  replace(el, servers.map((s) => serverCard(s, reload, openForms.has(s.serverId))));
}

function serverCard(s, reload, formOpen) {
  const tools = h('div', { class: 'tools' });
  const logs = h('pre', { class: 'terminal', tabindex: '0', role: 'log', 'aria-live': 'off', 'aria-label': `log messages of ${s.name}`, 'data-log': s.serverId });
  const connected = s.state === 'connected';
  const needsAuth = s.state === 'needs_auth';
  const waiting = s.state === 'awaiting_permission';
  const act = (verb, method = post) => async (event) => {
    const button = event.currentTarget;
    if (verb === 'remove' && !confirm(`Remove the MCP server "${s.name}"? It is disconnected first, and the web app must register it again to use it.`)) return;
    button.disabled = true;
    try {
      const path = `/api/v1/mcp/servers/${encodeURIComponent(s.serverId)}${verb === 'remove' ? '' : `/${verb}`}`;
      const reply = await method(path, {});
      toast(verb === 'remove' ? `${s.name}: removed` : `${s.name}: ${reply.state.replace(/_/g, ' ')}`);
    } catch (error) {
      toast(`${error.code}: ${error.message}`, { bad: true });
      button.disabled = false;
    }
    if (verb === 'remove') await reload();
  };
  if (connected) {
    get(`/api/v1/mcp/servers/${encodeURIComponent(s.serverId)}/capabilities`)
      .then((caps) => replace(tools,
        h('h3', {}, `Tools (${caps.tools.length})`),
        h('ul', {}, caps.tools.map((t) => h('li', {}, h('code', {}, t.name), t.description ? ` — ${t.description}` : ''))),
        caps.tools.length ? tryToolForm(s, caps.tools, formOpen) : null))
      .catch((error) => replace(tools, problem('Capabilities', error)));
    get(`/api/v1/mcp/servers/${encodeURIComponent(s.serverId)}/logs`)
      .then(({ messages }) => { logs.textContent = messages.slice(-LOG_LINES_SHOWN).map(logLine).join('\n'); })
      .catch(() => {});
  }
  const authorize = async (event) => {
    event.currentTarget.disabled = true;
    try {
      const reply = await post(`/api/v1/mcp/servers/${encodeURIComponent(s.serverId)}/authorize`, {});
      toast(reply.opened ? `${s.name}: the consent page opened in your browser` : `${s.name}: open ${reply.authorizationUrl}`);
    } catch (error) {
      toast(`${error.code}: ${error.message}`, { bad: true });
    }
  };
  const failure = errorInWords(s);
  const signIn = signInText(s.transport.oauth);
  const showError = failure && s.state !== 'connected';
  return h('article', { class: 'panel', 'data-server-id': s.serverId, 'aria-labelledby': `server-${s.serverId}` },
    h('h2', { id: `server-${s.serverId}` }, s.name, ' ', stateTag(s.state), s.nonLoopback ? h('span', { class: 'tag warn' }, ' not on this computer') : null),
    waiting
      ? h('p', { class: 'notice warn', 'data-waiting': 'true' }, 'Starting it waits for your answer. ',
          h('a', { href: `#approvals?prompt=${encodeURIComponent(s.promptId ?? '')}`, id: `prompt-link-${s.serverId}` }, 'Answer the prompt'))
      : null,
    needsAuth
      ? h('p', { class: 'notice warn', 'data-needs-auth': 'true' }, 'This server asks you to sign in with its provider. ',
          h('span', { class: 'mono small' }, visible(s.authorizationUrl ?? '')), ' ',
          h('button', { class: 'primary', 'data-action': 'authorize', onclick: authorize }, 'Open the consent page'))
      : null,
    showError
      ? h('div', { class: 'notice bad', 'data-error': 'true' }, h('strong', {}, failure.words), failure.code ? h('span', { class: 'tag' }, failure.code) : null,
          failure.detail ? h('pre', { class: 'mono small reason' }, failure.detail) : null)
      : null,
    h('dl', { class: 'kv' },
      h('dt', {}, 'Registered by'), h('dd', { 'data-owner': s.origin ?? '' }, s.origin ? visible(s.origin) : 'you (no web app): fleet orchestrators may use it'),
      h('dt', {}, 'Transport'), h('dd', { class: 'mono' }, transportText(s.transport)),
      ...(signIn ? [h('dt', {}, 'Sign-in'), h('dd', { 'data-sign-in': 'true' }, visible(signIn))] : []),
      h('dt', {}, 'Connected since'), h('dd', {}, s.connectedAt && connected ? dateTime(s.connectedAt) : '—'),
      h('dt', {}, 'Reconnect attempts'), h('dd', {}, String(s.reconnectAttempts))),
    h('div', { class: 'actions' },
      h('button', { class: 'primary', 'data-action': 'connect', disabled: connected || waiting || s.state === 'connecting', title: waiting ? 'Waiting for your answer to its prompt' : undefined, onclick: act('connect') }, 'Connect'),
      h('button', { 'data-action': 'disconnect', disabled: s.state === 'disconnected', onclick: act('disconnect') }, 'Disconnect'),
      h('button', { class: 'danger', 'data-action': 'remove', onclick: act('remove', del) }, 'Remove')),
    tools,
    connected ? [h('h3', {}, 'Log messages (newest last)'), logs] : null,
    s.stderrTail.length ? [h('h3', {}, 'stderr of its current process (last lines)'), h('pre', { class: 'terminal', tabindex: '0', role: 'log', 'aria-live': 'off', 'aria-label': `stderr of ${s.name}` }, s.stderrTail.join('\n'))] : null,
  );
}
