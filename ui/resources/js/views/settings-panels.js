import { del, get } from '../api.js';
import { h, replace, toast } from '../dom.js';
import { dateTime } from '../format.js';
import { problem } from './common.js';

const SOURCE_WORDS = {
  settings: 'these settings',
  command_line: 'the command line (--allow-origin), this run only',
  bridge_ui: 'the bridge\'s own pages',
  dev_mode: 'dev mode (--dev), any port, this run only',
};

/**
 * What the port setting means for this process. A `--port` on the command line overrides the saved
 * port for this run only, so "applies when it restarts" would be wrong: a restart with the same
 * command keeps using the override.
 */
export function portNote(s) {
  if (s.portFromCommandLine && s.port !== s.runningPort) {
    return `This bridge was started with --port ${s.runningPort}, which overrides the saved port ${s.port} for this run only. Started without --port, it uses port ${s.port}.`;
  }
  if (s.portFromCommandLine) return `This bridge was started with --port ${s.runningPort}; the saved port is the same.`;
  if (s.restartRequired) return `This bridge runs on port ${s.runningPort}; port ${s.port} applies when it restarts.`;
  return null;
}

/** Every origin the running bridge lets in, and what allowed each: nothing let in is hidden. */
export function originsPanel(s) {
  return h('section', { class: 'panel', id: 'effective-origins', 'aria-labelledby': 'effective-origins-title' },
    h('h2', { id: 'effective-origins-title' }, 'Origins allowed right now'),
    s.devMode
      ? h('p', { class: 'notice warn', id: 'dev-mode', role: 'note' }, h('strong', {}, 'Dev mode is on (--dev). '), 'Any page served from http://localhost or http://127.0.0.1, on any port, may connect and ask to run commands, for as long as this bridge runs.')
      : null,
    h('table', { 'aria-label': 'Origins allowed right now' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Origin'), h('th', { scope: 'col' }, 'Allowed by'))),
      h('tbody', {}, s.effectiveOrigins.map((o) => h('tr', { 'data-source': o.source }, h('td', { class: 'mono' }, o.origin), h('td', {}, SOURCE_WORDS[o.source] ?? o.source))))));
}

/** The live web-app sessions, each revocable: its token stops working at once. */
export function sessionsPanel() {
  const body = h('div', {});
  const el = h('section', { class: 'panel', id: 'sessions', 'aria-labelledby': 'sessions-title' },
    h('h2', { id: 'sessions-title' }, 'Connected web apps'),
    h('p', { class: 'muted small' }, 'Each web-app tab that hand-shook holds a session. Revoke one and its token stops working; the page must connect again.'),
    body);
  const load = async () => {
    try {
      const { sessions } = await get('/api/v1/ui/sessions');
      if (sessions.length === 0) return replace(body, h('p', { class: 'muted' }, 'No web app is connected.'));
      replace(body, h('table', { 'aria-label': 'Connected web apps' },
        h('thead', {}, h('tr', {}, ['Origin', 'Calls itself', 'Session', 'Expires', ''].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, sessions.map((s) => h('tr', { 'data-session-id': s.sessionId },
          h('td', { class: 'mono' }, s.origin ?? '—'),
          h('td', {}, s.clientName ? `"${s.clientName}"` : '—'),
          h('td', { class: 'mono small' }, s.sessionId),
          h('td', {}, dateTime(s.expiresAt)),
          h('td', {}, h('button', {
            class: 'danger',
            'aria-label': `Revoke the session of ${s.origin ?? s.sessionId}`,
            onclick: async (event) => {
              if (!confirm(`Revoke the session of ${s.origin ?? 'this web app'}? Its token stops working at once.`)) return;
              event.currentTarget.disabled = true;
              try {
                await del(`/api/v1/ui/sessions/${encodeURIComponent(s.sessionId)}`);
                toast(`Session of ${s.origin ?? s.sessionId} revoked`);
              } catch (error) {
                toast(`${error.code}: ${error.message}`, { bad: true });
              }
              await load();
            },
          }, 'Revoke')))))));
    } catch (error) {
      replace(body, problem('Sessions', error));
    }
  };
  return { el, load };
}
