import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type net from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * A stand-in of Neutralino 6.9's framework core (its static server, NL_TOKEN security, native
 * method router and the few native methods the window uses), written from its source
 * (server/router.cpp, server/neuserver.cpp, auth/authbasic.cpp, auth/permission.cpp, settings.cpp,
 * api/os/os.cpp, api/window/window.cpp) so that what bit us in the real window bites here too:
 *
 * - every served path ending in `neutralino.js` gets the globals prepended, the one-time
 *   `NL_TOKEN` among them, and `__neutralino_globals.js` is the globals alone;
 * - with `tokenSecurity: "one-time"`, every copy of the globals after the first has `NL_TOKEN=''`,
 *   so a page that spends the token twice cannot connect (the client shows NE_CL_IVCTOKN);
 * - files and tray icons resolve against the app root (`--path`); `documentRoot` only prefixes
 *   the URL path of served files;
 * - its own data (the saved window state) goes to the app root unless `dataLocation` is "system"
 *   (then `$XDG_DATA_HOME/<applicationId>`);
 * - native calls need the full token and the method on `nativeAllowList` (`module.*` allowed).
 */
export interface NeutralinoCoreOptions {
  /** The window's command line after the binary, exactly as the launcher passes it. */
  args: string[];
  /** The environment Neutralino runs with: `os.execCommand` children inherit it. */
  env: NodeJS.ProcessEnv;
  /** `sago::getDataHome()`: `$XDG_DATA_HOME` or `~/.local/share`. */
  dataHome: string;
}

export interface TrayState {
  icon: string;
  /** The file Neutralino hands the tray library: `absolute(appPath + icon)` in directory mode. */
  iconPath: string;
  menuItems: Array<{ id?: string; text: string; isDisabled?: boolean }>;
}

interface NeutralinoConfig {
  applicationId?: string;
  documentRoot?: string;
  url?: string;
  tokenSecurity?: string;
  dataLocation?: string;
  nativeAllowList?: string[];
  modes?: { window?: { exitProcessOnClose?: boolean; useSavedState?: boolean } };
}

type NativeResult = { returnValue?: unknown; success?: boolean; error?: { code: string; message: string } };

const MIME: Record<string, string> = { html: 'text/html', css: 'text/css', js: 'application/javascript', mjs: 'application/javascript', json: 'application/json', png: 'image/png', svg: 'image/svg+xml', md: 'application/octet-stream' };

const error = (code: string, message: string): NativeResult => ({ error: { code, message } });

export class NeutralinoCore {
  readonly appPath: string;
  readonly nativeCalls: Array<{ method: string; data: unknown; returnValue?: unknown }> = [];
  readonly notifications: Array<{ title: string; content: string }> = [];
  readonly trays: TrayState[] = [];
  /** Native calls the core refused, with the error code (NE_RT_INVTOKN, NE_RT_NATPRME, …). */
  readonly refused: Array<{ method: string; code: string }> = [];
  /** How many times the globals were served, and with which token. */
  readonly globalsServed: string[] = [];
  visible = true;
  exitCode: number | null = null;
  private exiting = false;
  private config: NeutralinoConfig = {};
  private readonly token = `${randomBytes(24).toString('hex')}.${randomBytes(24).toString('hex')}`;
  private tokenSent = false;
  private port = 0;
  private readonly server = http.createServer((req, res) => void this.serveHttp(req, res));
  private readonly sockets = new WebSocketServer({ noServer: true });
  private readonly clients = new Set<WebSocket>();
  private readonly exitListeners = new Set<(code: number) => void>();

  constructor(private readonly options: NeutralinoCoreOptions) {
    this.appPath = options.args.find((a) => a.startsWith('--path='))?.slice('--path='.length) ?? process.cwd();
    this.port = Number(options.args.find((a) => a.startsWith('--port='))?.slice('--port='.length) ?? 0);
  }

  /** Reads `neutralino.config.json` from the app root and starts the server; returns the URL the webview opens. */
  async start(): Promise<string> {
    this.config = JSON.parse(await readFile(path.join(this.appPath, 'neutralino.config.json'), 'utf8')) as NeutralinoConfig;
    // settings::applyConfigOverride, for the one override the tests use.
    const url = this.options.args.find((a) => a.startsWith('--url='));
    if (url) this.config.url = url.slice('--url='.length);
    this.server.on('upgrade', (req, socket, head) => this.upgrade(req, socket as net.Socket, head));
    await new Promise<void>((resolve) => this.server.listen({ host: '127.0.0.1', port: this.port }, resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    const navigation = this.config.url ?? '/';
    return navigation.startsWith('/') ? `http://127.0.0.1:${this.port}${navigation}` : navigation;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Where Neutralino keeps its own files (settings.cpp: appDataPath). */
  get dataPath(): string {
    return this.config.dataLocation === 'system' ? path.join(this.options.dataHome, this.appId()) : this.appPath;
  }

  /** The window manager's close button (WEBVIEW_WINDOW_CLOSE in api/window/window.cpp). */
  closeWindow(): void {
    if (this.config.modes?.window?.exitProcessOnClose) void this.exit(0);
    else this.dispatch('windowClose', null);
  }

  /** A click on a tray menu item (os.cpp `__handleTrayMenuItem`). */
  clickTrayItem(id: string): void {
    const item = this.trays.at(-1)?.menuItems.find((i) => i.id === id);
    if (!item) throw new Error(`no tray item ${id}`);
    this.dispatch('trayMenuItemClicked', { id: item.id, text: item.text, isDisabled: item.isDisabled ?? false, isChecked: false });
  }

  onExit(fn: (code: number) => void): void {
    this.exitListeners.add(fn);
  }

  async stop(): Promise<void> {
    for (const client of this.clients) client.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private appId(): string {
    return (this.config.applicationId ?? 'js.neutralino.framework').replace(/[^\w.]/g, '').replace(/[.]{2,}/g, '.');
  }

  /** authbasic::getToken: the one-time token is handed out once, then only ''. */
  private spendToken(): string {
    if (this.tokenSent && (this.config.tokenSecurity ?? 'one-time') === 'one-time') return '';
    this.tokenSent = true;
    return this.token;
  }

  /** settings::getGlobalVars, in its order. */
  private globals(): string {
    const token = this.spendToken();
    this.globalsServed.push(token);
    const vars: Array<[string, string]> = [
      ['NL_OS', "'linux'"],
      ['NL_ARCH', "'x64'"],
      ['NL_VERSION', "'6.9.0'"],
      ['NL_APPID', `'${this.appId()}'`],
      ['NL_PORT', String(this.port)],
      ['NL_MODE', "'window'"],
      ['NL_TOKEN', `'${token}'`],
      ['NL_CWD', `'${process.cwd()}'`],
      ['NL_ARGS', JSON.stringify(['neutralino-linux_x64', ...this.options.args])],
      ['NL_PATH', `'${this.appPath}'`],
      ['NL_DATAPATH', `'${this.dataPath}'`],
      ['NL_PID', String(process.pid)],
      ['NL_RESMODE', "'directory'"],
      ['NL_EXTENABLED', 'false'],
      ['NL_CMETHODS', '[]'],
      ['NL_WSAVSTLOADED', 'false'],
    ];
    return vars.map(([name, value]) => `var ${name}=${value};`).join('');
  }

  /** neuserver::handleHTTP + router::serve + router::getAsset. */
  private async serveHttp(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const documentRoot = (this.config.documentRoot ?? '').replace(/\/$/, '');
    let resource = decodeURIComponent(`${documentRoot}${req.url ?? '/'}`).split('?')[0]!;
    let prepend = '';
    if (/.*__neutralino_globals\.js$/.test(resource)) {
      res.writeHead(200, { 'content-type': 'application/javascript' }).end(this.globals());
      return;
    }
    if (/.*neutralino\.js$/.test(resource)) prepend = this.globals();
    if (resource.split('.').length < 2) resource = `${resource.endsWith('/') ? resource : `${resource}/`}index.html`;
    const extension = resource.split('.').at(-1)!;
    try {
      const body = await readFile(path.join(this.appPath, resource));
      res.writeHead(200, { 'content-type': MIME[extension] ?? 'application/octet-stream' }).end(Buffer.concat([Buffer.from(prepend), body]));
    } catch {
      res.writeHead(404, { 'content-type': MIME[extension] ?? 'application/octet-stream' }).end(prepend);
    }
  }

  /** neuserver::handleValidate: loopback host and the connect token (the token's second half). */
  private upgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    const connectToken = /connectToken=([\w.\-_]+)/.exec(req.url ?? '')?.[1];
    if (!(host === 'localhost' || host === '127.0.0.1') || connectToken !== this.token.split('.')[1]) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    this.sockets.handleUpgrade(req, socket, head, (ws) => {
      this.clients.add(ws);
      ws.on('close', () => this.clients.delete(ws));
      ws.on('message', (raw) => void this.handleMessage(ws, String(raw)));
    });
  }

  private dispatch(event: string, data: unknown): void {
    for (const client of this.clients) client.send(JSON.stringify({ event, data }));
  }

  /** router::executeNativeMethod: token, then the allow list, then the method. */
  private async handleMessage(ws: WebSocket, raw: string): Promise<void> {
    const message = JSON.parse(raw) as { id: string; method: string; accessToken: string; data?: Record<string, unknown> };
    let data: NativeResult;
    if (message.accessToken !== this.token) data = error('NE_RT_INVTOKN', 'Invalid or expired NL_TOKEN value from client');
    else if (!this.allowed(message.method)) data = error('NE_RT_NATPRME', `Missing permission to execute the native method: ${message.method}`);
    else data = await this.call(message.method, message.data ?? {});
    if (data.error) this.refused.push({ method: message.method, code: data.error.code });
    else this.nativeCalls.push({ method: message.method, data: message.data ?? null, returnValue: data.returnValue });
    ws.send(JSON.stringify({ id: message.id, method: message.method, data }));
  }

  private allowed(method: string): boolean {
    const list = this.config.nativeAllowList;
    if (!list) return true;
    const module = method.split('.')[0];
    return list.includes(method) || list.some((entry) => entry.endsWith('.*') && entry.split('.')[0] === module);
  }

  private async call(method: string, input: Record<string, unknown>): Promise<NativeResult> {
    switch (method) {
      case 'app.exit':
        setImmediate(() => void this.exit(Number(input.code ?? 0)));
        return { success: true, returnValue: null };
      case 'window.show':
      case 'window.focus':
        this.visible = true;
        return { success: true };
      case 'window.hide':
        this.visible = false;
        return { success: true };
      case 'os.setTray': {
        const icon = String(input.icon ?? '');
        // Directory mode on Linux: filesystem::absolute(settings::joinAppPath(iconPath)).
        this.trays.push({ icon, iconPath: path.resolve(`${this.appPath}${icon}`), menuItems: (input.menuItems as TrayState['menuItems']) ?? [] });
        return { success: true };
      }
      case 'os.showNotification':
        this.notifications.push({ title: String(input.title ?? ''), content: String(input.content ?? '') });
        return { success: true };
      case 'os.execCommand':
        return { success: true, returnValue: await this.exec(String(input.command)) };
      case 'filesystem.readFile':
        try {
          return { success: true, returnValue: await readFile(String(input.path), 'utf8') };
        } catch {
          return error('NE_FS_FILRDER', `Unable to open file: ${String(input.path)}`);
        }
      default:
        return error('NE_RT_NATNTIM', `${method} is not implemented in the Neutralinojs server`);
    }
  }

  /** TinyProcessLib on Unix runs a command string with `/bin/sh -c`. */
  private exec(command: string): Promise<{ pid: number; exitCode: number; stdOut: string; stdErr: string }> {
    return new Promise((resolve) => {
      const child = execFile('/bin/sh', ['-c', command], { env: this.options.env, cwd: process.cwd(), maxBuffer: 16 * 1024 * 1024 }, (failure, stdOut, stdErr) => {
        const exitCode = failure ? (typeof failure.code === 'number' ? failure.code : 1) : 0;
        resolve({ pid: child.pid ?? -1, exitCode, stdOut: String(stdOut), stdErr: String(stdErr) });
      });
    });
  }

  /** app::exit → window::_close: the saved window state is written to the data path first. */
  private async exit(code: number): Promise<void> {
    if (this.exiting) return;
    this.exiting = true;
    if (this.config.modes?.window?.useSavedState ?? true) {
      await mkdir(path.join(this.dataPath, '.tmp'), { recursive: true });
      await writeFile(path.join(this.dataPath, '.tmp', 'window_state.config.json'), JSON.stringify({ width: 1120, height: 780, x: 0, y: 0, maximize: false }));
    }
    // The process has exited only once the state is on disk, as with the real binary.
    this.exitCode = code;
    for (const fn of this.exitListeners) fn(code);
  }

  /** Whether the last tray icon is a file that exists (else the tray shows a "missing image" icon). */
  trayIconExists(): boolean {
    const tray = this.trays.at(-1);
    return tray ? existsSync(tray.iconPath) : false;
  }
}
