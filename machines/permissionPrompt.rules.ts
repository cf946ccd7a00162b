import type { RuleMatch } from '../src/contract/routes/permissions.js';

/** The template fields a rule looks at. Never resolved values: a rule must not depend on a secret. */
export interface RuleSubject {
  command: string;
  args: readonly string[];
  shell: boolean;
}

/**
 * The rule `allow_and_whitelist` saves for this template: its executable and `shell` flag, and
 * its arguments exactly, or only the first `argsPrefix` of them followed by "any further" (never
 * for a shell command line).
 */
export function proposeRule(subject: RuleSubject, argsPrefix?: number): RuleMatch {
  // With a shell, further arguments are joined into the command line: "any further" would allow any code.
  if (subject.shell) argsPrefix = undefined;
  const keep = argsPrefix === undefined ? subject.args.length : Math.min(argsPrefix, subject.args.length);
  return {
    executable: subject.command,
    args: subject.args.slice(0, keep),
    anyFurtherArgs: argsPrefix !== undefined,
    shell: subject.shell,
  };
}

/**
 * Whether `rule` allows `subject`: the same executable, string for string (no path or case
 * folding: `/usr/bin/git` and `git` are different rules), the same `shell` flag, and the rule's
 * arguments as the whole argument list or, with `anyFurtherArgs`, as its beginning.
 */
export function ruleMatches(rule: RuleMatch, subject: RuleSubject): boolean {
  if (rule.executable !== subject.command || rule.shell !== subject.shell) return false;
  if (rule.shell && rule.anyFurtherArgs) return false; // never saved; refused if found anyway
  if (rule.anyFurtherArgs ? subject.args.length < rule.args.length : subject.args.length !== rule.args.length) return false;
  return rule.args.every((arg, index) => subject.args[index] === arg);
}
