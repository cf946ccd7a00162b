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
 * Inside Neutralino: loads its globals and client library, reads the UI token from the file the
 * bridge wrote (the launcher passes its path), and returns the shell the pages use.
 */
export async function connectShell(session) {
  await loadScript('/__neutralino_globals.js');
  await loadScript('vendor/neutralino.js');
  const neutralino = globalThis.Neutralino;
  neutralino.init();
  const args = shellArgs(globalThis.NL_ARGS);
  session.baseUrl = args['osloop-bridge-url'] ?? 'http://127.0.0.1:47832';
  session.token = String(await neutralino.filesystem.readFile(args['osloop-token-file'])).trim();
  const bridgePort = Number(new URL(session.baseUrl).port);

  return {
    bridgePort,
    /** Asks the bridge (through its control channel, via the CLI) to try the same port again. */
    async retryBind() {
      const result = await neutralino.os.execCommand(`${args['osloop-cli']} open-url osloop://ensure-server`);
      return { ok: result.exitCode === 0, message: (result.stdOut || result.stdErr || '').trim() };
    },
    async attach(ctx) {
      const runtime = await get('/api/v1/bridge/runtime').catch(() => null);
      const adapter = await startNeutralinoAdapter({ neutralino, feed: ctx.feed, prompts: ctx.prompts, navigate: ctx.navigate, runtime });
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
