import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import writeFileAtomic from 'write-file-atomic';
import { CLI_BIN } from '../package-root.js';

export const SCHEME = 'osloop';
export const MIME_TYPE = `x-scheme-handler/${SCHEME}`;
export const DESKTOP_FILE = 'osloop-bridge-url-handler.desktop';

/** The command the OS runs for an osloop:// link: this node, this checkout's CLI, `open-url`. */
export function handlerCommand(): string[] {
  return [process.execPath, CLI_BIN, 'open-url'];
}

/** Quotes one argument of a .desktop `Exec` line (Desktop Entry Specification, "Exec key"). */
export function desktopExecArg(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `"${arg.replace(/(["`$\\])/g, '\\$1')}"`;
}

export function desktopEntry(command: string[]): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=OS Loop Bridge',
    'Comment=Opens osloop:// links with the local OS Loop Bridge',
    `Exec=${command.map(desktopExecArg).join(' ')} %u`,
    'Terminal=false',
    'NoDisplay=true',
    `MimeType=${MIME_TYPE};`,
    '',
  ].join('\n');
}

interface XdgDirs {
  dataHome: string;
  configHome: string;
}

const xdgDirs = (env: NodeJS.ProcessEnv): XdgDirs => ({
  dataHome: env.XDG_DATA_HOME || path.join(os.homedir(), '.local/share'),
  configHome: env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'),
});

/** Sets (or, with `handler` null, removes) the default handler of the scheme in mimeapps.list. */
export function editMimeApps(text: string, handler: string | null): string {
  const lines = text.split('\n').filter((line, i, all) => !(line === '' && i === all.length - 1));
  const out: string[] = [];
  let section = '';
  let placed = false;
  for (const line of lines) {
    const header = /^\[(.+)\]\s*$/.exec(line);
    if (header) {
      if (section === 'Default Applications' && handler && !placed) {
        out.push(`${MIME_TYPE}=${handler}`);
        placed = true;
      }
      section = header[1]!;
    } else if (line.startsWith(`${MIME_TYPE}=`) && (section === 'Default Applications' || section === 'Added Associations')) {
      continue;
    }
    out.push(line);
  }
  if (handler && !placed) {
    if (section === 'Default Applications') out.push(`${MIME_TYPE}=${handler}`);
    else out.push(...(out.length ? [''] : []), '[Default Applications]', `${MIME_TYPE}=${handler}`);
  }
  return `${out.join('\n')}\n`;
}

export interface ProtocolReport {
  lines: string[];
}

async function registerLinux(env: NodeJS.ProcessEnv): Promise<ProtocolReport> {
  const { dataHome, configHome } = xdgDirs(env);
  const applications = path.join(dataHome, 'applications');
  const desktopPath = path.join(applications, DESKTOP_FILE);
  await mkdir(applications, { recursive: true });
  await writeFileAtomic(desktopPath, desktopEntry(handlerCommand()), { mode: 0o644 });
  const lines = [`Wrote ${desktopPath}`];
  try {
    await execa('xdg-mime', ['default', DESKTOP_FILE, MIME_TYPE], { env, extendEnv: false, timeout: 10_000 });
    lines.push(`xdg-mime: ${DESKTOP_FILE} is the default handler of ${MIME_TYPE}`);
  } catch (error) {
    lines.push(`xdg-mime unavailable (${(error as Error).message.split('\n')[0]}); wrote mimeapps.list directly`);
  }
  // Written as well when xdg-mime ran: its result is checked, not assumed.
  const mimeApps = path.join(configHome, 'mimeapps.list');
  const current = await readFile(mimeApps, 'utf8').catch(() => '');
  const next = editMimeApps(current, DESKTOP_FILE);
  if (next !== current) {
    await mkdir(configHome, { recursive: true });
    await writeFileAtomic(mimeApps, next);
    lines.push(`Set ${MIME_TYPE}=${DESKTOP_FILE} in ${mimeApps}`);
  }
  try {
    await execa('update-desktop-database', [applications], { env, extendEnv: false, timeout: 10_000 });
  } catch {
    // Optional: only caches MimeType lines for some desktops.
  }
  return { lines };
}

async function unregisterLinux(env: NodeJS.ProcessEnv): Promise<ProtocolReport> {
  const { dataHome, configHome } = xdgDirs(env);
  const desktopPath = path.join(dataHome, 'applications', DESKTOP_FILE);
  await rm(desktopPath, { force: true });
  const lines = [`Removed ${desktopPath}`];
  const mimeApps = path.join(configHome, 'mimeapps.list');
  const current = await readFile(mimeApps, 'utf8').catch(() => null);
  if (current !== null) {
    const next = editMimeApps(current, null);
    if (next !== current) {
      await writeFile(mimeApps, next);
      lines.push(`Removed ${MIME_TYPE} from ${mimeApps}`);
    }
  }
  return { lines };
}

const WINDOWS_KEY = `HKCU\\Software\\Classes\\${SCHEME}`;

/** Per-user registry keys: no administrator rights needed. Written, not tested on this machine. */
async function registerWindows(): Promise<ProtocolReport> {
  const command = `${handlerCommand().map((arg) => `"${arg}"`).join(' ')} "%1"`;
  const adds = [
    ['add', WINDOWS_KEY, '/ve', '/d', 'URL:OS Loop Bridge', '/f'],
    ['add', WINDOWS_KEY, '/v', 'URL Protocol', '/d', '', '/f'],
    ['add', `${WINDOWS_KEY}\\shell\\open\\command`, '/ve', '/d', command, '/f'],
  ];
  for (const args of adds) await execa('reg', args, { timeout: 10_000 });
  return { lines: [`Registered ${SCHEME}:// in ${WINDOWS_KEY}`] };
}

async function unregisterWindows(): Promise<ProtocolReport> {
  await execa('reg', ['delete', WINDOWS_KEY, '/f'], { timeout: 10_000, reject: false });
  return { lines: [`Removed ${WINDOWS_KEY}`] };
}

/** `osloop-bridge protocol register|unregister`. macOS registers through the app bundle's Info.plist. */
export async function runProtocol(action: string, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): Promise<number> {
  if (action !== 'register' && action !== 'unregister') {
    console.error(`Unknown action ${JSON.stringify(action)}: use "register" or "unregister".`);
    return 64;
  }
  try {
    let report: ProtocolReport;
    if (platform === 'linux' || platform === 'freebsd' || platform === 'openbsd') {
      report = action === 'register' ? await registerLinux(env) : await unregisterLinux(env);
    } else if (platform === 'win32') {
      report = action === 'register' ? await registerWindows() : await unregisterWindows();
    } else if (platform === 'darwin') {
      console.error('On macOS, osloop:// is registered by the app bundle (CFBundleURLTypes in Info.plist); see docs/ui.md.');
      return 1;
    } else {
      console.error(`Registering a URL handler is not supported on ${platform}.`);
      return 1;
    }
    for (const line of report.lines) console.log(line);
    return 0;
  } catch (error) {
    console.error(`Could not ${action} the osloop:// handler: ${(error as Error).message}`);
    return 1;
  }
}
