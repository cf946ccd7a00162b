import { describe, expect, it } from 'vitest';
import { detectDialog, kdialog, osascript, powershell, zenity } from '../../../src/filesystem/picker/dialogs.js';
import { dialogPicker } from '../../../src/filesystem/picker/native-picker.js';
import { MemoryProcessRunner } from '../../../src/processes/index.js';

const files = { kind: 'file' as const, multiple: true, title: 'Pick inputs' };
const folder = { kind: 'directory' as const, multiple: false, title: null };

describe('dialog command lines', () => {
  it('zenity: directory flag, multiple with a newline separator, the title', () => {
    expect(zenity.command(files, '/home/me')).toEqual({ command: 'zenity', args: ['--file-selection', '--title=Pick inputs', '--multiple', '--separator=\n'] });
    expect(zenity.command(folder, '/home/me').args).toEqual(['--file-selection', '--title=Choose a folder for OS Loop', '--directory']);
  });

  it('kdialog: open file(s) or an existing directory, from home', () => {
    expect(kdialog.command(files, '/home/me').args).toEqual(['--title', 'Pick inputs', '--getopenfilename', '/home/me', '--multiple', '--separate-output']);
    expect(kdialog.command(folder, '/home/me').args).toEqual(['--title', 'Choose a folder for OS Loop', '--getexistingdirectory', '/home/me']);
  });

  it('osascript: passes kind, multiple and title as arguments, never inside the script', () => {
    const { command, args } = osascript.command({ ...files, title: "x'); doShellScript('rm -rf ~" }, '/Users/me');
    expect(command).toBe('osascript');
    expect(args.slice(0, 3)).toEqual(['-l', 'JavaScript', '-e']);
    expect(args[3]).not.toContain('rm -rf');
    expect(args.slice(4)).toEqual(['file', 'true', "x'); doShellScript('rm -rf ~"]);
  });

  it('powershell: quotes the title as a literal string', () => {
    const { args } = powershell.command({ ...files, title: "it's $(Remove-Item C:\\)" }, 'C:\\Users\\me');
    const script = args.at(-1)!;
    expect(script).toContain("$dialog.Title = 'it''s $(Remove-Item C:\\)'");
    expect(script).toContain('$dialog.Multiselect = $true');
    expect(args).toContain('-STA');
  });
});

describe('reading a dialog\'s answer', () => {
  it.each([
    ['zenity paths, one per line', zenity, { exitCode: 0, stdout: '/a/b.txt\n/a/c d.txt\n', stderr: '' }, { outcome: 'selected', paths: ['/a/b.txt', '/a/c d.txt'] }],
    ['zenity closed', zenity, { exitCode: 1, stdout: '', stderr: '' }, { outcome: 'cancelled' }],
    ['kdialog paths', kdialog, { exitCode: 0, stdout: '/home/me/x\n', stderr: '' }, { outcome: 'selected', paths: ['/home/me/x'] }],
    ['osascript cancelled', osascript, { exitCode: 0, stdout: '__OSLOOP_CANCELLED__\n', stderr: '' }, { outcome: 'cancelled' }],
    ['powershell paths with CRLF', powershell, { exitCode: 0, stdout: 'C:\\a.txt\r\nC:\\b.txt\r\n', stderr: '' }, { outcome: 'selected', paths: ['C:\\a.txt', 'C:\\b.txt'] }],
  ] as const)('%s', (_, program, result, expected) => {
    expect(program.parse(result)).toEqual(expected);
  });

  it('turns any other exit into an error that says why', () => {
    const answer = zenity.parse({ exitCode: 255, stdout: '', stderr: 'cannot open display\n' });
    expect(answer).toBeInstanceOf(Error);
    expect((answer as Error).message).toBe('zenity failed (exit code 255): cannot open display');
  });
});

describe('detectDialog', () => {
  const has = (...names: string[]) => async (name: string) => names.includes(name);
  it.each([
    ['Linux without a display', { platform: 'linux', env: {}, has: has('zenity') }, null, 'no graphical display'],
    ['Linux with zenity', { platform: 'linux', env: { DISPLAY: ':0' }, has: has('zenity', 'kdialog') }, 'zenity', null],
    ['KDE, preferring kdialog', { platform: 'linux', env: { WAYLAND_DISPLAY: 'wayland-0', XDG_CURRENT_DESKTOP: 'KDE' }, has: has('zenity', 'kdialog') }, 'kdialog', null],
    ['Linux with neither', { platform: 'linux', env: { DISPLAY: ':0' }, has: has() }, null, 'neither zenity nor kdialog'],
    ['macOS', { platform: 'darwin', env: {}, has: has('osascript') }, 'osascript', null],
    ['Windows', { platform: 'win32', env: {}, has: has('powershell') }, 'powershell', null],
    ['FreeBSD', { platform: 'freebsd', env: {}, has: has('zenity') }, null, 'no native file dialog is known'],
  ] as const)('%s', async (_, machine, program, reason) => {
    const found = await detectDialog({ ...machine, env: { ...machine.env } });
    expect(found.program?.name ?? null).toBe(program);
    if (reason) expect('reason' in found && found.reason).toContain(reason);
  });
});

describe('dialogPicker', () => {
  const env = async () => ({ PATH: '/usr/bin' });

  it('runs the dialog and reads its answer', async () => {
    const runner = new MemoryProcessRunner();
    const picked = dialogPicker(zenity, runner, env).pick(folder, new AbortController().signal);
    await expect.poll(() => runner.processes.length).toBe(1);
    expect(runner.last.spec).toMatchObject({ command: 'zenity', env: { PATH: '/usr/bin' } });
    runner.last.write('stdout', '/home/me/project\n');
    runner.last.exit({ exitCode: 0 });
    expect(await picked).toEqual({ outcome: 'selected', paths: ['/home/me/project'] });
  });

  it('kills the dialog when the picker is aborted', async () => {
    const runner = new MemoryProcessRunner();
    const abort = new AbortController();
    const picked = dialogPicker(zenity, runner, env).pick(folder, abort.signal);
    await expect.poll(() => runner.processes.length).toBe(1);
    abort.abort(new Error('timed out'));
    await expect(picked).rejects.toThrow('timed out');
    expect(runner.last.kills).toHaveLength(1);
  });

  it('fails clearly when the dialog program is missing', async () => {
    const runner = new MemoryProcessRunner();
    runner.spawnError = 'ENOENT';
    await expect(dialogPicker(kdialog, runner, env).pick(folder, new AbortController().signal)).rejects.toThrow('kdialog could not start (ENOENT)');
  });
});
