import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { RunningBridge, StartBridgeOptions } from '../bridge.js';
import { createLogger } from '../logging.js';
import { handleProcessExit } from './process-exit.js';
import { startBridgeOrExit } from './start-bridge-or-exit.js';
import { runtimeView } from '../../machines/bridge.machine.js';
import { CLI_BIN as BIN, packagePath } from '../package-root.js';

const UI_DIR = packagePath('ui');

/** Neutralino's binary for this machine, as `neu update` names it in `ui/bin/`. */
export function neutralinoBinary(uiDir = UI_DIR, platform: NodeJS.Platform = process.platform, arch = process.arch): string {
  const os = platform === 'darwin' ? 'mac' : platform === 'win32' ? 'win' : 'linux';
  const cpu = arch === 'arm64' ? 'arm64' : arch === 'arm' ? 'armhf' : 'x64';
  if (os === 'mac' && cpu === 'arm64') return path.join(uiDir, 'bin', 'neutralino-mac_arm64');
  return path.join(uiDir, 'bin', `neutralino-${os}_${cpu}${os === 'win' ? '.exe' : ''}`);
}

/** What to tell someone whose checkout has no Neutralino binaries (they are not in npm). */
export function missingBinariesMessage(binary: string): string {
  return [
    `The desktop window needs Neutralino's binary, and ${path.relative(process.cwd(), binary) || binary} does not exist.`,
    'Neutralino ships its binaries on GitHub, not in npm. On a machine with internet access, run once:',
    `    cd ${path.relative(process.cwd(), UI_DIR) || UI_DIR} && npx @neutralinojs/neu update`,
    'which downloads them into ui/bin/ (they then work offline). Until then the bridge runs without a window;',
    'open its pages in your browser with `osloop-bridge open`.',
  ].join('\n');
}

/** What the window needs to know of the bridge at start (the pages read it as `--osloop-*`). */
export interface WindowLaunch {
  windowPort: number;
  bridge: Pick<RunningBridge, 'port' | 'paths'>;
  /** The bridge's state as this process sees it: the window's only source while the port is unbound. */
  runtime: Pick<ReturnType<typeof runtimeView>, 'configuredPort' | 'activePort' | 'bindState' | 'bindError' | 'trayMode'>;
  uiDir?: string;
}

/** The Neutralino command line of the desktop window (`ui/resources/js/shell.js` reads the `--osloop-*` ones). */
export function windowArgs({ windowPort, bridge, runtime, uiDir = UI_DIR }: WindowLaunch): string[] {
  const { configuredPort, activePort, bindState, bindError, trayMode } = runtime;
  return [
    // Neutralino resolves resources and icons against --path, the app root.
    `--path=${uiDir}`,
    '--load-dir-res',
    `--port=${windowPort}`,
    `--osloop-bridge-url=http://127.0.0.1:${bridge.port()}`,
    `--osloop-token-file=${bridge.paths.uiTokenFile}`,
    `--osloop-cli=${[process.execPath, BIN].map((a) => JSON.stringify(a)).join(' ')}`,
    `--osloop-runtime=${JSON.stringify({ configuredPort, activePort, bindState, bindError, trayMode })}`,
  ];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * `osloop-bridge start --ui`: the desktop mode. Unlike `start`, the bridge stays alive when its
 * port cannot be bound (`bind_failed`), so the user can free the port and retry the same one from
 * the window or with `osloop://ensure-server` (through the control channel). The Neutralino window
 * serves the pages itself and talks to the bridge cross-origin, an origin allowed for this run only.
 */
export async function runDesktop(options: Omit<StartBridgeOptions, 'logger'>, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const logger = createLogger();
  // The same stop as `start`: a second signal, or an orderly stop past its deadline, ends the process.
  const lifecycle = handleProcessExit({ logger });
  // OSLOOP_NEUTRALINO_BIN: a Neutralino binary installed elsewhere (a distribution package, tests).
  const binary = env.OSLOOP_NEUTRALINO_BIN || neutralinoBinary();
  const hasWindow = existsSync(binary);
  const windowPort = hasWindow ? await freePort() : null;
  const windowOrigins = windowPort ? [`http://127.0.0.1:${windowPort}`, `http://localhost:${windowPort}`] : [];
  const bridge = await startBridgeOrExit({ ...options, allowOrigins: [...(options.allowOrigins ?? []), ...windowOrigins], logger }, lifecycle);
  if (bridge === 78) return 78;
  if (bridge.bindState() === 'bind_failed') {
    logger.error(`Port ${bridge.port()} could not be bound; the bridge keeps running without a listener. Free the port, then retry it from the window or with \`osloop-bridge open-url osloop://ensure-server\`.`);
  }

  let window: ReturnType<typeof spawn> | null = null;
  if (hasWindow) {
    const snapshot = bridge.runtime.root.getSnapshot();
    // Never `stdio: 'inherit'`: a child sharing the bridge's stdout makes libuv set that shared
    // pipe blocking, and a log reader that stalls would then stall the bridge (issue 16).
    window = spawn(binary, windowArgs({ windowPort: windowPort!, bridge, runtime: runtimeView(snapshot.context, snapshot.value) }), { cwd: UI_DIR, stdio: ['ignore', 'pipe', 'pipe'], env });
    window.once('error', (error) => logger.error({ err: error }, 'the desktop window could not start'));
    for (const stream of [window.stdout, window.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (text: string) => {
        for (const line of text.split('\n')) if (line.trim()) logger.debug({ window: line.trimEnd() }, 'desktop window output');
      });
    }
  } else {
    console.error(missingBinariesMessage(binary));
  }

  await new Promise<void>((resolve) => {
    const shutdown = (why: string) => {
      logger.info(`stopping (${why})`);
      window?.kill();
      void bridge.stop(why).then(resolve);
    };
    // Quit from the tray closes the window process: the bridge goes with it.
    window?.once('exit', () => {
      lifecycle.armDeadline();
      shutdown('desktop window closed');
    });
    void lifecycle.stopRequested.then((signal) => shutdown(signal));
  });
  // Quitting the desktop app quits the process, even if a helper process of some capability
  // (e.g. a login-shell probe) is still winding down.
  lifecycle.exit(0);
  return 0;
}
