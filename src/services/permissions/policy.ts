import path from 'node:path';

/** Characters that separate commands in a shell line; any word after one may be an executable. */
const SHELL_SEPARATORS = /[\s;&|()<>`]+|\$\(/;

export interface PolicySubject {
  command: string;
  shell: boolean;
  /** Where `command` resolves on the login-shell PATH, when it was looked up. */
  resolvedPath?: string | null;
}

/**
 * The deny-list entry that forbids this command, or null. An entry without a slash is an
 * executable name, matched against the base name of the command (`rm` denies `rm` and `/bin/rm`;
 * `.exe`/`.cmd`/`.bat` and case are ignored on Windows). An entry with a slash is a path, matched
 * against the command as given and where it resolves. For a shell line (`shell: true`) every word
 * is checked, since any of them may be a command: the policy errs on the side of refusing.
 */
export function deniedBy(denyList: readonly string[], subject: PolicySubject, platform: NodeJS.Platform = process.platform): string | null {
  if (denyList.length === 0) return null;
  const words = subject.shell ? subject.command.split(SHELL_SEPARATORS).map(unquote).filter(Boolean) : [subject.command];
  const candidates = subject.resolvedPath ? [...words, subject.resolvedPath] : words;
  for (const entry of denyList) {
    const isPath = entry.includes('/') || (platform === 'win32' && entry.includes('\\'));
    for (const word of candidates) {
      if (isPath ? samePath(word, entry, platform) : sameName(word, entry, platform)) return entry;
    }
  }
  return null;
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

function unquote(word: string): string {
  return word.replace(/^['"]+|['"]+$/g, '');
}
