import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const ATSPI = path.join(path.dirname(fileURLToPath(import.meta.url)), 'atspi.py');
/** Debian's Python, which has python3-gi (a pyenv or venv python on PATH usually has not). */
const PYTHON = process.env.OSLOOP_ATSPI_PYTHON ?? '/usr/bin/python3';

/**
 * The Neutralino binary to run the real window with, or null. Neutralino's binaries come only from
 * GitHub, so CI has none: without one the test is skipped with a notice, even under CI=true.
 */
export function neutralinoBinary(suite: string): string | null {
  const binary = process.env.OSLOOP_NEUTRALINO_BIN;
  if (binary && existsSync(binary)) return binary;
  console.warn(
    `[skipped] ${suite}: ${binary ? `OSLOOP_NEUTRALINO_BIN=${binary} does not exist` : 'OSLOOP_NEUTRALINO_BIN is not set'}. ` +
      'Set it to a Neutralino 6.9 binary and run under xvfb-run to drive the real window (see docs/ui.md).',
  );
  return null;
}

export interface DesktopSession {
  env: NodeJS.ProcessEnv;
  /** Runs a command of the session (xdotool, gdbus, dunstctl, import) and returns its stdout. */
  run(command: string, args: string[]): Promise<string>;
  stop(): Promise<void>;
}

/**
 * What a desktop gives the window, on the X display xvfb-run made: a session D-Bus, a window
 * manager (openbox, for the close button), a notification daemon (dunst) and an XEmbed tray host
 * (trayer). Each is a real program from Debian.
 */
export async function startDesktopSession(): Promise<DesktopSession> {
  if (!process.env.DISPLAY) throw new Error('The real-window test needs an X display: run it under `xvfb-run -a`.');
  const children: ChildProcess[] = [];
  const bus = spawn('dbus-daemon', ['--session', '--nofork', '--print-address=1'], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(bus);
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    bus.stdout!.on('data', (chunk: Buffer) => {
      out += String(chunk);
      if (out.includes('\n')) resolve(out.trim());
    });
    bus.once('error', reject);
    bus.once('exit', (code) => reject(new Error(`dbus-daemon exited with ${code}`)));
  });
  const env = { ...process.env, DBUS_SESSION_BUS_ADDRESS: address };
  const run = async (command: string, args: string[]) => (await execa(command, args, { env, timeout: 60_000 })).stdout;
  for (const [command, args] of [
    ['openbox', []],
    ['dunst', []],
    ['trayer', ['--edge', 'top', '--align', 'right', '--widthtype', 'pixel', '--width', '120', '--height', '24']],
  ] as const) {
    children.push(spawn(command, [...args], { env, stdio: 'ignore' }));
  }
  // Ready when dunst owns the notification service on this bus.
  for (let owned = false; !owned; ) {
    owned = (await run('gdbus', ['call', '--session', '--dest', 'org.freedesktop.DBus', '--object-path', '/org/freedesktop/DBus', '--method', 'org.freedesktop.DBus.NameHasOwner', 'org.freedesktop.Notifications'])).includes('true');
    if (!owned) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    env,
    run,
    async stop() {
      for (const child of children.reverse()) {
        if (child.exitCode !== null || child.signalCode !== null) continue;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

/** The accessible element of `role` named `name` in the windows of `pid`: its centre, from the window's corner. */
export async function findInWindow(session: DesktopSession, pid: number, role: string, name: string): Promise<{ x: number; y: number } | null> {
  const result = await execa(PYTHON, [ATSPI, String(pid), 'find', role, name], { env: session.env, reject: false, timeout: 60_000 });
  if (result.exitCode !== 0) return null;
  const [x, y, width, height] = result.stdout.trim().split(/\s+/).map(Number) as [number, number, number, number];
  return { x: Math.round(x + width / 2), y: Math.round(y + height / 2) };
}

/** Every accessible name and text in the windows of `pid`: what a screen reader would read. */
export async function screenText(session: DesktopSession, pid: number): Promise<string> {
  return (await execa(PYTHON, [ATSPI, String(pid), 'text'], { env: session.env, timeout: 60_000 })).stdout;
}

export interface TrayItem {
  id: number;
  label: string;
  enabled: boolean;
}

/** The tray menu a process exported over D-Bus (libayatana-appindicator's dbusmenu), or null. */
export async function trayMenu(session: DesktopSession, pid: number): Promise<{ dest: string; items: TrayItem[] } | null> {
  const names = await session.run('gdbus', ['call', '--session', '--dest', 'org.freedesktop.DBus', '--object-path', '/org/freedesktop/DBus', '--method', 'org.freedesktop.DBus.ListNames']);
  // Newest connections first: the tray library connects after GTK's own.
  for (const dest of (names.match(/':\d+\.\d+'/g)?.map((n) => n.slice(1, -1)) ?? []).reverse()) {
    const owner = await session.run('gdbus', ['call', '--session', '--dest', 'org.freedesktop.DBus', '--object-path', '/org/freedesktop/DBus', '--method', 'org.freedesktop.DBus.GetConnectionUnixProcessID', dest]).catch(() => '');
    if (!owner.includes(`uint32 ${pid},`)) continue;
    // A short timeout: the process's other connections may never answer (gdbus would wait 25 s).
    const layout = await session.run('gdbus', ['call', '--session', '--timeout', '2', '--dest', dest, '--object-path', '/org/ayatana/NotificationItem/tray_id/Menu', '--method', 'com.canonical.dbusmenu.GetLayout', '--', '0', '-1', '@as []']).catch(() => null);
    if (!layout) continue;
    const items = [...layout.matchAll(/<\((\d+), \{([^}]*)\}, @av \[\]\)>/g)]
      .map(([, id, props]) => ({ id: Number(id), label: /'label': <'([^']*)'>/.exec(props!)?.[1] ?? '', enabled: !/'enabled': <false>/.test(props!) }))
      .filter((item) => item.label !== '');
    return { dest, items };
  }
  return null;
}

/** Clicks a tray menu item the way the tray host does: a dbusmenu "clicked" event. */
export async function clickTrayItem(session: DesktopSession, menu: { dest: string; items: TrayItem[] }, label: string): Promise<void> {
  const item = menu.items.find((i) => i.label === label);
  if (!item) throw new Error(`no tray item "${label}" in ${JSON.stringify(menu.items)}`);
  await session.run('gdbus', ['call', '--session', '--dest', menu.dest, '--object-path', '/org/ayatana/NotificationItem/tray_id/Menu', '--method', 'com.canonical.dbusmenu.Event', '--', String(item.id), 'clicked', '<int32 0>', '0']);
}

/** Summaries and bodies of the notifications the daemon received. */
export async function notifications(session: DesktopSession): Promise<string[]> {
  const history = JSON.parse(await session.run('dunstctl', ['history'])) as { data: Array<Array<{ summary: { data: string }; body: { data: string } }>> };
  return history.data.flat().map((n) => `${n.summary.data}\n${n.body.data}`);
}
