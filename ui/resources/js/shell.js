import { get } from './api.js';
import { ReconnectingSocket } from './live.js';
import { startNeutralinoAdapter } from './neutralino-adapter.js';

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = src;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.append(script);
  });
}

/** `--osloop-x=value` process arguments the desktop launcher passed to the window. */
export function shellArgs(nlArgs) {
  const out = {};
  for (const arg of nlArgs ?? []) {
    const match = /^--(osloop-[a-z-]+)=(.*)$/s.exec(arg);
    if (match) out[match[1]] = match[2];
  }
  return out;
}

/**
 * The bridge's state when the window was started, as the process that started it saw it
 * (`--osloop-runtime`): the only source while HTTP and WS are down (`bind_failed`).
 */
export function launchRuntime(args) {
  try {
    const view = JSON.parse(args['osloop-runtime'] ?? 'null');
    if (!view || typeof view !== 'object' || typeof view.bindState !== 'string') return null;
    return {
      configuredPort: Number(view.configuredPort),
      activePort: Number.isInteger(view.activePort) ? view.activePort : null,
      bindState: view.bindState,
      bindError: typeof view.bindError === 'string' ? view.bindError : null,
      trayMode: view.trayMode === true,
    };
  } catch {
    return null;
  }
}

/** Exit codes of `osloop-bridge open-url` (src/cli/open-url.ts) that leave the port unbound. */
const STILL_UNBOUND = new Set([3, 4]);

/**
 * Inside Neutralino: loads its client library, reads the UI token from the file the bridge wrote
 * (the launcher passes its path), and returns the shell the pages use.
 */
export async function connectShell(session) {
  // Neutralino's server prepends its globals, the one-time NL_TOKEN among them, to every served
  // path ending in `neutralino.js`: load that library once and nothing else of that kind, or the
  // second copy empties the token and the window cannot reach the framework (NE_CL_IVCTOKN).
  await loadScript('vendor/neutralino.js');
  const neutralino = globalThis.Neutralino;
  neutralino.init();
  const args = shellArgs(globalThis.NL_ARGS);
  session.baseUrl = args['osloop-bridge-url'] ?? 'http://127.0.0.1:47832';
  session.token = String(await neutralino.filesystem.readFile(args['osloop-token-file'])).trim();
  const bridgePort = Number(new URL(session.baseUrl).port);
  const launched = launchRuntime(args);
  let adapter = null;

  return {
    bridgePort,
    /** The bind error the launcher saw, for the unreachable notice. */
    launchError: launched?.bindError ?? null,
    /**
     * Asks the bridge (through its control channel, via the CLI) to try the same port again; the
     * outcome also tells the tray, which cannot learn it over HTTP/WS while the port is unbound.
     */
    async retryBind() {
      const result = await neutralino.os.execCommand(`${args['osloop-cli']} open-url osloop://ensure-server`);
      const outcome = { ok: result.exitCode === 0, message: (result.stdOut || result.stdErr || '').trim() };
      if (adapter && launched) {
        if (outcome.ok) adapter.update({ ...launched, ...adapter.runtime, bindState: 'listening', activePort: launched.configuredPort, bindError: null });
        else if (STILL_UNBOUND.has(result.exitCode)) adapter.update({ ...launched, ...adapter.runtime, bindState: 'bind_failed', activePort: null, bindError: outcome.message });
      }
      return outcome;
    },
    async attach(ctx) {
      const fetchRuntime = () => get('/api/v1/bridge/runtime');
      const runtime = await fetchRuntime().catch(() => launched);
      adapter = await startNeutralinoAdapter({ neutralino, feed: ctx.feed, prompts: ctx.prompts, navigate: ctx.navigate, runtime, fetchRuntime });
      // The tray is set and the window's events are handled from here on: a page reached through
      // the feed before this point has no tray yet, so this is what says the window is whole.
      document.documentElement.dataset.desktop = 'ready';
      // `osloop://focus` reaches this window through the bridge: it serves the request on this socket.
      new ReconnectingSocket('/ws/v1/ui/inspector', {
        params: () => ({ desktop: '1' }),
        onFrame: (frame) => {
          if (frame.type === 'desktop' && frame.action === 'show') void adapter.show(frame.page);
        },
      });
    },
  };
}
