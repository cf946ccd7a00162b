import path from 'node:path';
import { analyzeArgv, analyzeShellLine, type CommandAnalysis } from './shell-commands.js';

/** Characters that separate words in a line that does not parse: the fallback's split. */
const ROUGH_SEPARATORS = /[\s;&|()<>`'"$\\{}]+/;

export interface PolicySubject {
  command: string;
  /** The argument list (`shell: false`); with a shell they are appended to the line. */
  args?: readonly string[];
  shell: boolean;
  /** Where `command` resolves on the login-shell PATH, when it was looked up. */
  resolvedPath?: string | null;
}

export interface PolicyVerdict {
  /** The deny-list entry that forbids it, or null. */
  deniedBy: string | null;
  /** What the policy saw: every command found, and whether the line could be read at all. */
  analysis: CommandAnalysis;
}

/**
 * Checks a command against the deny list as the shell will run it: every command word of a shell
 * line (lists, pipelines, substitutions), what wrappers run (`env rm`, `sudo`, `xargs`, `find
 * -exec`) and lines handed to a shell (`sh -c`, `eval`), for `shell: false` too. A line that does
 * not parse is also split on every separator, so nothing hidden by a syntax error slips through.
 */
export async function checkPolicy(denyList: readonly string[], subject: PolicySubject, platform: NodeJS.Platform = process.platform): Promise<PolicyVerdict> {
  const analysis = subject.shell
    ? await analyzeShellLine([subject.command, ...(subject.args ?? [])].join(' '))
    : await analyzeArgv(subject.command, subject.args ?? []);
  if (denyList.length === 0) return { deniedBy: null, analysis };
  const words = [...analysis.commands];
  if (!analysis.parsed) words.push(...roughWords(subject));
  if (subject.resolvedPath) words.push(subject.resolvedPath);
  return { deniedBy: deniedAmong(denyList, words, platform), analysis };
}

/**
 * The deny-list entry that forbids one of `words` (command names or paths), or null. An entry
 * without a slash is an executable name, matched against each word's base name (`rm` denies
 * `rm` and `/bin/rm`; `.exe`/`.cmd`/`.bat` and case are ignored on Windows). An entry with a
 * slash is a path, matched against the word as given (normalised).
 */
export function deniedAmong(denyList: readonly string[], words: readonly string[], platform: NodeJS.Platform = process.platform): string | null {
  for (const entry of denyList) {
    const isPath = entry.includes('/') || (platform === 'win32' && entry.includes('\\'));
    for (const word of words) {
      if (isPath ? samePath(word, entry, platform) : sameName(word, entry, platform)) return entry;
    }
  }
  return null;
}

function roughWords(subject: PolicySubject): string[] {
  return [subject.command, ...(subject.args ?? [])].flatMap((part) => part.split(ROUGH_SEPARATORS)).filter(Boolean);
}

function sameName(word: string, entry: string, platform: NodeJS.Platform): boolean {
  const base = platform === 'win32' ? path.win32.basename(word) : path.posix.basename(word);
  if (platform !== 'win32') return base === entry;
  const strip = (name: string) => name.toLowerCase().replace(/\.(exe|cmd|bat|com)$/, '');
  return strip(base) === strip(entry);
}

function samePath(word: string, entry: string, platform: NodeJS.Platform): boolean {
  if (platform === 'win32') return path.win32.normalize(word).toLowerCase() === path.win32.normalize(entry).toLowerCase();
  return path.posix.normalize(word) === path.posix.normalize(entry);
}
