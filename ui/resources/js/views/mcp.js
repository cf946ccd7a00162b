import { get, post } from '../api.js';
import { h, replace, toast } from '../dom.js';
import { dateTime } from '../format.js';
import { heading, problem, stateTag } from './common.js';

/** MCP servers: each registered server's state, transport, tools, stderr tail, connect/disconnect. */
export async function mount(root, ctx) {
  const body = h('div', { id: 'servers' });
  root.append(...heading('MCP servers', 'Local MCP servers the web app uses through this bridge.'), body);
  const load = async () => {
    try {
      const { servers } = await get('/api/v1/mcp/servers');
      render(body, servers);
    } catch (error) {
      replace(body, problem('MCP servers', error));
    }
  };
  await load();
  return ctx.feed.on('mcp.server.>', () => void load());
}

function transportText(t) {
  return t.type === 'stdio' ? [t.command, ...(t.args ?? [])].join(' ') : `${t.type} ${t.url}`;
}

function render(el, servers) {
  if (servers.length === 0) return replace(el, h('p', { class: 'muted' }, 'No MCP servers registered.'));
  replace(el, servers.map((s) => {
    const tools = h('div', { class: 'tools' });
    const connected = s.state === 'connected';
    const act = (verb) => async (event) => {
      event.currentTarget.disabled = true;
      try {
        const reply = await post(`/api/v1/mcp/servers/${encodeURIComponent(s.serverId)}/${verb}`, {});
        toast(`${s.name}: ${reply.state.replace(/_/g, ' ')}`);
      } catch (error) {
        toast(`${error.code}: ${error.message}`, { bad: true });
        event.currentTarget.disabled = false;
      }
    };
    if (connected) {
      get(`/api/v1/mcp/servers/${encodeURIComponent(s.serverId)}/capabilities`)
        .then((caps) => replace(tools, h('h3', {}, `Tools (${caps.tools.length})`), h('ul', {}, caps.tools.map((t) => h('li', {}, h('code', {}, t.name), t.description ? ` — ${t.description}` : '')))))
        .catch((error) => replace(tools, problem('Capabilities', error)));
    }
    return h('article', { class: 'panel', 'data-server-id': s.serverId },
      h('h2', {}, s.name, ' ', stateTag(s.state), s.nonLoopback ? h('span', { class: 'tag warn' }, ' not on this computer') : null),
      h('dl', { class: 'kv' },
        h('dt', {}, 'Transport'), h('dd', { class: 'mono' }, transportText(s.transport)),
        h('dt', {}, 'Connected since'), h('dd', {}, s.connectedAt ? dateTime(s.connectedAt) : '—'),
        h('dt', {}, 'Reconnect attempts'), h('dd', {}, String(s.reconnectAttempts)),
        s.lastError ? [h('dt', {}, 'Last error'), h('dd', { class: 'mono' }, s.lastError)] : null),
      h('div', { class: 'actions' },
        h('button', { class: 'primary', 'data-action': 'connect', disabled: connected || s.state === 'connecting', onclick: act('connect') }, 'Connect'),
        h('button', { 'data-action': 'disconnect', disabled: s.state === 'disconnected', onclick: act('disconnect') }, 'Disconnect')),
      tools,
      s.stderrTail.length ? [h('h3', {}, 'stderr (last lines)'), h('pre', { class: 'terminal' }, s.stderrTail.join('\n'))] : null,
    );
  }));
}
