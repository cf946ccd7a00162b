import os from 'node:os';
import type { PickerRequest } from '../../../machines/filePicker.machine.js';
import type { ProcessRunner } from '../../processes/index.js';

export type { PickerRequest } from '../../../machines/filePicker.machine.js';

/** What the user did in a dialog. Paths are as the dialog printed them; the bridge checks them. */
export type PickerAnswer = { outcome: 'selected'; paths: string[] } | { outcome: 'cancelled' };

/** A native file dialog: shows it, resolves with the answer; aborting closes it. */
export interface NativePicker {
  /** zenity, kdialog, osascript, powershell. */
  readonly name: string;
  pick(request: PickerRequest, signal: AbortSignal): Promise<PickerAnswer>;
}

/** A dialog program: the command line for a request, and how to read what it printed. */
export interface DialogProgram {
  readonly name: string;
  command(request: PickerRequest, home: string): { command: string; args: string[] };
  /** The answer, or an Error saying why the dialog failed. */
  parse(result: { exitCode: number | null; stdout: string; stderr: string }): PickerAnswer | Error;
}

const KILL_GRACE_MS = 500;

/** Runs a dialog program through the process runner; the dialog is killed when `signal` aborts. */
export function dialogPicker(program: DialogProgram, runner: ProcessRunner, env: () => Promise<Record<string, string>>): NativePicker {
  return {
    name: program.name,
    async pick(request, signal) {
      const { command, args } = program.command(request, os.homedir());
      const childEnv = await env();
      await runner.prepare?.();
      signal.throwIfAborted();
      return new Promise<PickerAnswer>((resolve, reject) => {
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        const running = runner.start(
          { command, args, cwd: os.homedir(), env: childEnv },
          {
            onOutput: (stream, chunk) => (stream === 'stdout' ? out : err).push(chunk),
            onExit: (exit) => {
              signal.removeEventListener('abort', abort);
              if (signal.aborted) return reject(signal.reason);
              if (exit.spawnError) return reject(new Error(`${program.name} could not start (${exit.spawnError})`));
              const answer = program.parse({ exitCode: exit.exitCode, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
              if (answer instanceof Error) reject(answer);
              else resolve(answer);
            },
          },
        );
        const abort = () => void running.kill(KILL_GRACE_MS);
        signal.addEventListener('abort', abort, { once: true });
      });
    },
  };
}

/** The non-empty lines of a dialog's output: one path per line. */
export function pathLines(stdout: string): string[] {
  return stdout.split(/\r?\n/).map((line) => line.replace(/\r$/, '')).filter((line) => line.trim() !== '');
}
