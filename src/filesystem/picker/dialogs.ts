import { pathLines, type DialogProgram, type PickerAnswer } from './native-picker.js';

const DEFAULT_TITLE = { file: 'Choose a file for OS Loop', directory: 'Choose a folder for OS Loop' } as const;
const titleOf = (request: { kind: 'file' | 'directory'; title: string | null }) => request.title ?? DEFAULT_TITLE[request.kind];

/** zenity and kdialog both exit 0 with the paths, 1 when cancelled, anything else on failure. */
function exitCodeAnswer(name: string) {
  return ({ exitCode, stdout, stderr }: { exitCode: number | null; stdout: string; stderr: string }): PickerAnswer | Error => {
    if (exitCode === 1) return { outcome: 'cancelled' };
    if (exitCode !== 0) return new Error(`${name} failed (exit code ${exitCode}): ${stderr.trim().slice(0, 300)}`);
    const paths = pathLines(stdout);
    return paths.length > 0 ? { outcome: 'selected', paths } : { outcome: 'cancelled' };
  };
}

/** GNOME and most Linux desktops. */
export const zenity: DialogProgram = {
  name: 'zenity',
  command: (request) => ({
    command: 'zenity',
    args: [
      '--file-selection',
      `--title=${titleOf(request)}`,
      ...(request.kind === 'directory' ? ['--directory'] : []),
      // A newline cannot appear in a path zenity shows, unlike zenity's default `|`.
      ...(request.multiple ? ['--multiple', '--separator=\n'] : []),
    ],
  }),
  parse: exitCodeAnswer('zenity'),
};

/** KDE. Its folder dialog picks one folder only. */
export const kdialog: DialogProgram = {
  name: 'kdialog',
  command: (request, home) => ({
    command: 'kdialog',
    args:
      request.kind === 'directory'
        ? ['--title', titleOf(request), '--getexistingdirectory', home]
        : ['--title', titleOf(request), '--getopenfilename', home, ...(request.multiple ? ['--multiple', '--separate-output'] : [])],
  }),
  parse: exitCodeAnswer('kdialog'),
};

const CANCELLED = '__OSLOOP_CANCELLED__';

// JavaScript for Automation. The title and options arrive as arguments, never spliced into
// the script, so no title can inject code.
const JXA = `function run(argv) {
  const app = Application.currentApplication();
  app.includeStandardAdditions = true;
  const [kind, multiple, prompt] = argv;
  try {
    const options = { withPrompt: prompt, multipleSelectionsAllowed: multiple === 'true' };
    const picked = kind === 'directory' ? app.chooseFolder(options) : app.chooseFile(options);
    return [].concat(picked).map((item) => item.toString()).join('\\n');
  } catch (error) {
    if (error.errorNumber === -128) return '${CANCELLED}';
    throw error;
  }
}`;

/** macOS: the standard Choose File / Choose Folder panel, through osascript. */
export const osascript: DialogProgram = {
  name: 'osascript',
  command: (request) => ({ command: 'osascript', args: ['-l', 'JavaScript', '-e', JXA, request.kind, String(request.multiple), titleOf(request)] }),
  parse: ({ exitCode, stdout, stderr }) => {
    if (stdout.trim() === CANCELLED) return { outcome: 'cancelled' };
    if (exitCode !== 0) return new Error(`osascript failed (exit code ${exitCode}): ${stderr.trim().slice(0, 300)}`);
    const paths = pathLines(stdout);
    return paths.length > 0 ? { outcome: 'selected', paths } : { outcome: 'cancelled' };
  },
};

/** A PowerShell single-quoted string literal: the only escape is a doubled quote. */
const psString = (value: string) => `'${value.replaceAll("'", "''")}'`;

/** Windows: the Forms file and folder dialogs, in a single-threaded-apartment PowerShell. */
export const powershell: DialogProgram = {
  name: 'powershell',
  command: (request) => {
    const title = psString(titleOf(request));
    const script =
      request.kind === 'directory'
        ? [
            'Add-Type -AssemblyName System.Windows.Forms',
            '$dialog = New-Object System.Windows.Forms.FolderBrowserDialog',
            `$dialog.Description = ${title}`,
            "if ($dialog.ShowDialog() -eq 'OK') { [Console]::Out.WriteLine($dialog.SelectedPath) } else { exit 1 }",
          ]
        : [
            'Add-Type -AssemblyName System.Windows.Forms',
            '$dialog = New-Object System.Windows.Forms.OpenFileDialog',
            `$dialog.Title = ${title}`,
            `$dialog.Multiselect = $${request.multiple ? 'true' : 'false'}`,
            "if ($dialog.ShowDialog() -eq 'OK') { $dialog.FileNames | ForEach-Object { [Console]::Out.WriteLine($_) } } else { exit 1 }",
          ];
    return { command: 'powershell', args: ['-NoProfile', '-NonInteractive', '-STA', '-ExecutionPolicy', 'Bypass', '-Command', script.join('; ')] };
  },
  parse: exitCodeAnswer('powershell'),
};

/**
 * The dialog this machine can show, or why none: Linux needs a display and zenity or kdialog
 * (kdialog first on KDE), macOS has osascript, Windows PowerShell.
 */
export async function detectDialog(machine: {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  has: (executable: string) => Promise<boolean>;
}): Promise<{ program: DialogProgram } | { program: null; reason: string }> {
  switch (machine.platform) {
    case 'linux': {
      if (!machine.env.DISPLAY && !machine.env.WAYLAND_DISPLAY) return { program: null, reason: 'no graphical display (neither DISPLAY nor WAYLAND_DISPLAY is set)' };
      const kde = /kde/i.test(machine.env.XDG_CURRENT_DESKTOP ?? '');
      for (const program of kde ? [kdialog, zenity] : [zenity, kdialog]) if (await machine.has(program.name)) return { program };
      return { program: null, reason: 'neither zenity nor kdialog is installed' };
    }
    case 'darwin':
      return (await machine.has('osascript')) ? { program: osascript } : { program: null, reason: 'osascript was not found' };
    case 'win32':
      return (await machine.has('powershell')) ? { program: powershell } : { program: null, reason: 'PowerShell was not found' };
    default:
      return { program: null, reason: `no native file dialog is known for ${machine.platform}` };
  }
}
